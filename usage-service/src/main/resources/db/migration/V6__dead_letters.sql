-- Usage events that could not be read and went to the dead-letter topic, as admins see them: where the record was,
-- why it failed, whose it seems to be (the tenant part of its Kafka key). Never the record's content.
create table dead_letter (
    dlt_partition   int         not null,
    dlt_offset      bigint      not null,
    source_topic    text        not null,
    source_partition int,
    source_offset   bigint,
    tenant_id       text,
    reason          text,
    size_bytes      int         not null,
    dead_at         timestamptz not null,
    primary key (dlt_partition, dlt_offset)
);

create index dead_letter_by_tenant on dead_letter (tenant_id, dead_at desc);
