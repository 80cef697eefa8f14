-- The ledger: one row per usage event, ever. The event id is the primary key, so a redelivered event inserts nothing.
-- Strings are text (not varchar(n)): a long value must never make a well-formed event unstorable and block its partition.
create table usage_event (
    event_id           uuid        primary key,
    occurred_at        timestamptz not null,
    region             text,
    tenant_id          text        not null,
    user_id            text,
    caller_type        text,
    proxy_key_id       text,
    provider           text        not null,
    model              text,
    operation          text,
    streamed           boolean     not null,
    status             integer     not null,
    input_tokens       bigint      not null,
    output_tokens      bigint      not null,
    cache_read_tokens  bigint      not null,
    cache_write_tokens bigint      not null,
    reasoning_tokens   bigint      not null,
    latency_ms         bigint      not null,
    first_byte_ms      bigint,
    trace_id           text,
    received_at        timestamptz not null default now()
);

create index usage_event_tenant_time on usage_event (tenant_id, occurred_at);

-- Hourly totals, maintained in the ledger's transaction and only for events newly inserted into it.
-- user_id and model are '' when the event had none, so they can be part of the primary key.
create table usage_hourly (
    tenant_id          text        not null,
    hour               timestamptz not null,
    provider           text        not null,
    model              text        not null,
    user_id            text        not null,
    requests           bigint      not null,
    input_tokens       bigint      not null,
    output_tokens      bigint      not null,
    cache_read_tokens  bigint      not null,
    cache_write_tokens bigint      not null,
    errors             bigint      not null,
    primary key (tenant_id, hour, provider, model, user_id)
);
