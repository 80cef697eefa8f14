-- What admin-service knows of provider keys: metadata only. The key itself lives sealed in keyvault.
create table provider_key (
    id          uuid         primary key,
    tenant_id   varchar(64)  not null,
    user_id     varchar(255) not null,
    provider    varchar(64)  not null,
    secret_id   uuid         not null,
    hint        varchar(8)   not null,
    fingerprint varchar(32)  not null,
    created_at  timestamptz  not null,
    updated_at  timestamptz  not null,
    constraint provider_key_owner unique (tenant_id, user_id, provider)
);

-- Proxy keys (px_...): only the SHA-256 of the key is kept; the key is shown once, at creation.
create table proxy_key (
    id          uuid         primary key,
    tenant_id   varchar(64)  not null,
    user_id     varchar(255) not null,
    name        varchar(100) not null,
    key_hash    varchar(64)  not null unique,
    hint        varchar(8)   not null,
    providers   varchar(64)[] not null default '{}',
    created_at  timestamptz  not null,
    expires_at  timestamptz,
    revoked_at  timestamptz
);

create index proxy_key_owner on proxy_key (tenant_id, user_id);

-- The transactional outbox. Rows are written in the same transaction as the change they announce and deleted in
-- that same transaction: Debezium reads the insert from the WAL (logical decoding) and relays it to Kafka.
create table outbox_event (
    id            uuid         primary key,
    aggregatetype varchar(255) not null,
    aggregateid   varchar(255) not null,
    type          varchar(255) not null,
    payload       jsonb        not null,
    created_at    timestamptz  not null default now()
);
