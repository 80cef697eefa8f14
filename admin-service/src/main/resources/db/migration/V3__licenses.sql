-- Licenses a platform admin sells or hands out: only the SHA-256 of the license key is kept; the key is shown once.
-- A null limit means unlimited.
create table license (
    id                  uuid          primary key,
    tenant_id           varchar(64)   not null,
    name                varchar(100)  not null,
    key_hash            varchar(64)   not null unique,
    hint                varchar(8)    not null,
    tier                varchar(32)   not null,
    daily_request_limit integer       check (daily_request_limit > 0),
    max_activations     integer       check (max_activations > 0),
    providers           varchar(64)[] not null default '{}',
    created_by          varchar(255)  not null,
    created_at          timestamptz   not null,
    expires_at          timestamptz,
    revoked_at          timestamptz
);

create index license_tenant on license (tenant_id, created_at desc);

-- One row per device a license was activated on; the device is known by the SHA-256 of its hardware id. The row
-- points at the device's current proxy key (re-activating the device replaces it). A deactivated device frees its
-- slot and keeps its row for the record.
create table license_activation (
    id                uuid         primary key,
    license_id        uuid         not null references license (id),
    hardware_id_hash  varchar(64)  not null,
    proxy_key_id      uuid         not null,
    scheme            varchar(16)  not null check (scheme in ('legacy', 'sealed')),
    activated_at      timestamptz  not null,
    last_activated_at timestamptz  not null,
    deactivated_at    timestamptz,
    constraint license_activation_device unique (license_id, hardware_id_hash)
);
