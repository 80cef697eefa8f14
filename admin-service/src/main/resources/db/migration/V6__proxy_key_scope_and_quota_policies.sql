-- A proxy key's model scope and its own limits (each null means "no limit of the key's own").
alter table proxy_key
    add column models              varchar(128)[] not null default '{}',
    add column requests_per_minute integer check (requests_per_minute > 0),
    add column requests_per_day    integer check (requests_per_day > 0),
    add column monthly_budget_usd  numeric(14, 4) check (monthly_budget_usd >= 0),
    add column license_id          uuid,
    add column hardware_id_hash    varchar(64);

-- Quota policies: limits per tenant, user, proxy key or license tier. The proxy admits calls against the request
-- limits; usage-service enforces the token and cost limits. At most one policy per (tenant, scope, subject).
create table quota_policy (
    id                  uuid          primary key,
    tenant_id           varchar(64)   not null,
    scope               varchar(16)   not null check (scope in ('tenant', 'user', 'proxy-key', 'tier')),
    subject             varchar(255)  not null,
    requests_per_minute integer       check (requests_per_minute > 0),
    requests_per_day    integer       check (requests_per_day > 0),
    tokens_per_day      bigint        check (tokens_per_day > 0),
    tokens_per_month    bigint        check (tokens_per_month > 0),
    cost_per_day_usd    numeric(14, 4) check (cost_per_day_usd >= 0),
    cost_per_month_usd  numeric(14, 4) check (cost_per_month_usd >= 0),
    enforcement         varchar(8)    not null check (enforcement in ('hard', 'soft')),
    created_by          varchar(255)  not null,
    created_at          timestamptz   not null,
    updated_at          timestamptz   not null,
    unique (tenant_id, scope, subject)
);
