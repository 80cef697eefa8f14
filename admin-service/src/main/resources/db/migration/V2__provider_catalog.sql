-- The provider and model catalog. A row whose tenant_id is null is predefined: written from models.yaml at every
-- start, shared by all tenants, read-only through the API. A row with a tenant_id belongs to that tenant alone
-- (a custom provider, or a model a tenant added to any provider it sees). No key is ever stored here.
create table provider (
    id           uuid          primary key,
    tenant_id    varchar(64),
    name         varchar(64)   not null,
    display_name varchar(200)  not null,
    base_url     varchar(2048) not null,
    kind         varchar(8)    not null check (kind in ('llm', 'tool')),
    auth_scheme  varchar(16)   not null
        check (auth_scheme in ('bearer', 'x-api-key', 'x-goog-api-key', 'query-param', 'header')),
    auth_param   varchar(64),
    created_at   timestamptz   not null,
    updated_at   timestamptz   not null
);

create unique index provider_predefined_name on provider (name) where tenant_id is null;
create unique index provider_tenant_name on provider (tenant_id, name) where tenant_id is not null;

-- Prices are examples in USD per million tokens; null where unknown (most custom models).
create table provider_model (
    id                      uuid          primary key,
    provider_id             uuid          not null references provider (id) on delete cascade,
    tenant_id               varchar(64),
    name                    varchar(200)  not null,
    display_name            varchar(200)  not null,
    input_per_million       numeric(14, 6),
    output_per_million      numeric(14, 6),
    cache_read_per_million  numeric(14, 6),
    cache_write_per_million numeric(14, 6),
    created_at              timestamptz   not null,
    updated_at              timestamptz   not null
);

create unique index provider_model_predefined_name on provider_model (provider_id, name) where tenant_id is null;
create unique index provider_model_tenant_name on provider_model (provider_id, tenant_id, name)
    where tenant_id is not null;
