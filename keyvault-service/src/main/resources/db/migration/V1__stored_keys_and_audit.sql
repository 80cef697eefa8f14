-- Provider keys, sealed by envelope encryption. Nothing here decrypts without a master key kept outside the database.
create table stored_key (
    id                 uuid         primary key,
    tenant_id          varchar(64)  not null,
    owner_type         varchar(16)  not null check (owner_type in ('user', 'organisation')),
    owner_id           varchar(255) not null,
    provider           varchar(64)  not null,
    priority           integer      not null default 0,
    purpose            varchar(32)  not null,
    ciphertext         bytea        not null,
    data_nonce         bytea        not null check (octet_length(data_nonce) = 12),
    wrapped_data_key   bytea        not null,
    wrap_nonce         bytea        not null check (octet_length(wrap_nonce) = 12),
    master_key_version integer      not null,
    hint               varchar(8)   not null,
    fingerprint        varchar(32)  not null,
    created_at         timestamptz  not null,
    updated_at         timestamptz  not null,
    version            bigint       not null default 0,
    constraint stored_key_owner_provider_priority unique (tenant_id, owner_type, owner_id, provider, priority)
);

create index stored_key_master_key_version on stored_key (master_key_version);

-- Every store, delete, decrypt and refusal: who asked, for which secret, with what outcome. Never key material.
create table audit_event (
    id          bigint       generated always as identity primary key,
    occurred_at timestamptz  not null,
    action      varchar(32)  not null,
    outcome     varchar(16)  not null,
    caller      varchar(255) not null,
    secret_id   uuid,
    tenant_id   varchar(64),
    owner_id    varchar(255),
    provider    varchar(64),
    trace_id    varchar(64),
    detail      varchar(255)
);

create index audit_event_owner on audit_event (tenant_id, owner_id, occurred_at desc);
create index audit_event_secret on audit_event (secret_id, occurred_at desc);
