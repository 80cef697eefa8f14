-- Analytics aggregates, maintained in the ledger's transaction for newly inserted events (like usage_hourly), so the
-- analytics API and the dashboard never scan usage_event. Missing dimensions are '' so they can be in the key.
create table usage_rollup_hourly (
    tenant_id          text            not null,
    hour               timestamptz     not null,
    provider           text            not null,
    model              text            not null,
    user_id            text            not null,
    proxy_key_id       text            not null,
    region             text            not null,
    requests           bigint          not null,
    input_tokens       bigint          not null,
    output_tokens      bigint          not null,
    cache_read_tokens  bigint          not null,
    cache_write_tokens bigint          not null,
    errors             bigint          not null,
    cost_usd           numeric(24, 12) not null,
    unpriced_requests  bigint          not null,
    primary key (tenant_id, hour, provider, model, user_id, proxy_key_id, region)
);

-- Latency and time-to-first-byte histograms per hour, provider and model. metric: 'latency' or 'first_byte'.
-- bucket 0 holds 0 ms; bucket i >= 1 holds the values v with 1.05^(i-2) < v <= 1.05^(i-1), i.e.
-- i = 1 + ceil(ln(v) / ln(1.05)). A percentile is reported as the bucket's upper bound floor(1.05^(i-1)): never
-- below the exact value and less than 5 % above it.
create table usage_latency_hourly (
    tenant_id text        not null,
    hour      timestamptz not null,
    provider  text        not null,
    model     text        not null,
    metric    text        not null,
    bucket    integer     not null,
    requests  bigint      not null,
    primary key (tenant_id, hour, provider, model, metric, bucket)
);

-- Events already in the ledger are rolled up once here.
insert into usage_rollup_hourly
select tenant_id, date_trunc('hour', occurred_at, 'UTC'), provider, coalesce(model, ''), coalesce(user_id, ''),
       coalesce(proxy_key_id, ''), coalesce(region, ''), count(*), sum(input_tokens), sum(output_tokens),
       sum(cache_read_tokens), sum(cache_write_tokens), count(*) filter (where status >= 400),
       coalesce(sum(cost_usd), 0),
       count(*) filter (where cost_usd is null and input_tokens + output_tokens > 0)
from usage_event
group by 1, 2, 3, 4, 5, 6, 7;

insert into usage_latency_hourly
select tenant_id, date_trunc('hour', occurred_at, 'UTC'), provider, coalesce(model, ''), metric,
       case when ms <= 0 then 0 else 1 + ceil(ln(ms::double precision) / ln(1.05))::integer end, count(*)
from (select tenant_id, occurred_at, provider, model, 'latency' as metric, latency_ms as ms from usage_event
      union all
      select tenant_id, occurred_at, provider, model, 'first_byte', first_byte_ms from usage_event
      where first_byte_ms is not null) m
group by 1, 2, 3, 4, 5, 6;
