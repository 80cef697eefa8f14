-- Every price version admin-service has announced to usage-service (topic keygate.admin.model-prices.v1). A row
-- whose tenant_id is null is a predefined model's price from models.yaml; a tenant's row is its own model's price,
-- or its own price for a predefined model (a negotiated rate, a correction).
create table model_price (
    id                      uuid           primary key,
    tenant_id               varchar(64),
    provider                varchar(64)    not null,
    model                   varchar(200)   not null,
    effective_from          timestamptz    not null,
    input_per_million       numeric(18, 6) not null,
    output_per_million      numeric(18, 6) not null,
    cache_read_per_million  numeric(18, 6),
    cache_write_per_million numeric(18, 6),
    announced_by            varchar(255)   not null,
    announced_at            timestamptz    not null
);

create index model_price_lookup on model_price (provider, model, tenant_id, effective_from desc);
