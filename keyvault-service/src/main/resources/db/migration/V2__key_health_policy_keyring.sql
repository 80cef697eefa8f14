-- Several keys per owner and provider (priority 0 first), each with a label and a health status: a key the
-- provider rejects is skipped by the resolver in favour of the next one.
alter table stored_key add column label varchar(64);
alter table stored_key add column status varchar(16) not null default 'active'
    check (status in ('active', 'rejected'));
alter table stored_key add column status_reason varchar(255);
alter table stored_key add column checked_at timestamptz;

-- Which master key version seals new secrets, and below which version nothing decrypts any more. One row, shared by
-- every keyvault instance; the key material itself never comes here.
create table keyring_state (
    id                     smallint    primary key check (id = 1),
    primary_version        integer     not null check (primary_version >= 1),
    min_decryption_version integer     not null check (min_decryption_version >= 1),
    updated_at             timestamptz not null,
    check (min_decryption_version <= primary_version)
);

-- Per tenant: may its users bring their own keys, may its organisation keys serve them.
create table tenant_key_policy (
    tenant_id               varchar(64) primary key,
    allow_user_keys         boolean     not null,
    allow_organisation_keys boolean     not null,
    updated_at              timestamptz not null
);
