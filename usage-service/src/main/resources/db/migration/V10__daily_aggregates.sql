-- Daily aggregates shaped for the dashboard's questions. The hourly rollup is keyed by every dimension (user, proxy
-- key, region, tier, ...), so with thousands of keys an hour of a tenant's calls is almost one row per call and a
-- 90-day request sums millions of rows. These tables answer whole UTC days of the requests they can (see
-- UsageAnalytics); the partial days at a period's edges and any request they cannot answer (a per-user or per-key
-- filter with a per-model question, hourly buckets) still read the hourly tables. They are maintained in the
-- ledger's transaction for newly inserted events, like the hourly ones. day is the start of the UTC day.

-- Totals, series, provider/model/region/tier breakdowns and errors, optionally filtered by provider, model or tier.
create table usage_rollup_daily (
    tenant_id          text            not null,
    day                timestamptz     not null,
    provider           text            not null,
    model              text            not null,
    region             text            not null,
    tier               text            not null,
    requests           bigint          not null,
    input_tokens       bigint          not null,
    output_tokens      bigint          not null,
    cache_read_tokens  bigint          not null,
    cache_write_tokens bigint          not null,
    errors             bigint          not null,
    cost_usd           numeric(24, 12) not null,
    unpriced_requests  bigint          not null,
    primary key (tenant_id, day, provider, model, region, tier)
);

-- Top users and usage by user (with or without a user filter, no other filter).
create table usage_user_daily (
    tenant_id          text            not null,
    day                timestamptz     not null,
    user_id            text            not null,
    requests           bigint          not null,
    input_tokens       bigint          not null,
    output_tokens      bigint          not null,
    cache_read_tokens  bigint          not null,
    cache_write_tokens bigint          not null,
    errors             bigint          not null,
    cost_usd           numeric(24, 12) not null,
    unpriced_requests  bigint          not null,
    primary key (tenant_id, day, user_id)
);

-- Top proxy keys and usage by key (with or without a key filter, no other filter).
create table usage_key_daily (
    tenant_id          text            not null,
    day                timestamptz     not null,
    proxy_key_id       text            not null,
    requests           bigint          not null,
    input_tokens       bigint          not null,
    output_tokens      bigint          not null,
    cache_read_tokens  bigint          not null,
    cache_write_tokens bigint          not null,
    errors             bigint          not null,
    cost_usd           numeric(24, 12) not null,
    unpriced_requests  bigint          not null,
    primary key (tenant_id, day, proxy_key_id)
);

-- Latency and time-to-first-byte histograms per day, provider and model; buckets as in usage_latency_hourly (V3).
create table usage_latency_daily (
    tenant_id text        not null,
    day       timestamptz not null,
    provider  text        not null,
    model     text        not null,
    metric    text        not null,
    bucket    integer     not null,
    requests  bigint      not null,
    primary key (tenant_id, day, provider, model, metric, bucket)
);

-- A request filtered by user or proxy key that the daily tables cannot answer reads only that user's or key's
-- hourly rows.
create index usage_rollup_hourly_user on usage_rollup_hourly (tenant_id, user_id, hour);
create index usage_rollup_hourly_key on usage_rollup_hourly (tenant_id, proxy_key_id, hour);

-- Aggregates already in the ledger are summed per day once here, from the hourly tables, so the daily rows hold
-- exactly what the hourly rows they replace held.
insert into usage_rollup_daily (tenant_id, day, provider, model, region, tier, requests, input_tokens, output_tokens,
    cache_read_tokens, cache_write_tokens, errors, cost_usd, unpriced_requests)
select tenant_id, date_trunc('day', hour, 'UTC'), provider, model, region, tier, sum(requests), sum(input_tokens),
       sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens), sum(errors), sum(cost_usd),
       sum(unpriced_requests)
from usage_rollup_hourly
group by 1, 2, 3, 4, 5, 6;

insert into usage_user_daily (tenant_id, day, user_id, requests, input_tokens, output_tokens, cache_read_tokens,
    cache_write_tokens, errors, cost_usd, unpriced_requests)
select tenant_id, date_trunc('day', hour, 'UTC'), user_id, sum(requests), sum(input_tokens), sum(output_tokens),
       sum(cache_read_tokens), sum(cache_write_tokens), sum(errors), sum(cost_usd), sum(unpriced_requests)
from usage_rollup_hourly
group by 1, 2, 3;

insert into usage_key_daily (tenant_id, day, proxy_key_id, requests, input_tokens, output_tokens, cache_read_tokens,
    cache_write_tokens, errors, cost_usd, unpriced_requests)
select tenant_id, date_trunc('day', hour, 'UTC'), proxy_key_id, sum(requests), sum(input_tokens), sum(output_tokens),
       sum(cache_read_tokens), sum(cache_write_tokens), sum(errors), sum(cost_usd), sum(unpriced_requests)
from usage_rollup_hourly
group by 1, 2, 3;

insert into usage_latency_daily (tenant_id, day, provider, model, metric, bucket, requests)
select tenant_id, date_trunc('day', hour, 'UTC'), provider, model, metric, bucket, sum(requests)
from usage_latency_hourly
group by 1, 2, 3, 4, 5, 6;
