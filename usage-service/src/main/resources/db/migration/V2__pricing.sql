-- Every price version admin-service announced (topic keygate.admin.model-prices.v1), in USD per million tokens.
-- tenant_id null: a predefined model's price for every tenant; otherwise the tenant's own, which wins.
create table model_price (
    id                      uuid           primary key,
    tenant_id               text,
    provider                text           not null,
    model                   text           not null,
    effective_from          timestamptz    not null,
    input_per_million       numeric(18, 6) not null,
    output_per_million      numeric(18, 6) not null,
    cache_read_per_million  numeric(18, 6),
    cache_write_per_million numeric(18, 6),
    received_at             timestamptz    not null default now()
);

create index model_price_lookup on model_price (provider, effective_from);

-- A call's cost in USD with the price in force when it happened; null while no price is known for its model.
alter table usage_event add column cost_usd numeric(24, 12);

alter table usage_hourly
    add column cost_usd          numeric(24, 12) not null default 0,
    add column unpriced_requests bigint          not null default 0;
