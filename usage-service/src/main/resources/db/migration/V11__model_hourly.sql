-- usage_rollup_daily's shape per UTC hour. Hourly series and the partial days at a period's edges, when the request
-- has no user or proxy-key filter or grouping, read this table instead of usage_rollup_hourly, which is keyed by every
-- dimension (about one row per call per hour with thousands of keys). It replaces usage_hourly (V1: per provider,
-- model and user), which only the per-model summary read: the ledger writes one table per batch fewer. Maintained in
-- the ledger's event statement for newly inserted events, like the other aggregates. hour is the start of the UTC hour.
create table usage_model_hourly (
    tenant_id          text            not null,
    hour               timestamptz     not null,
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
    primary key (tenant_id, hour, provider, model, region, tier)
);

-- Aggregates already in the ledger are summed per model and hour once here, from the hourly rollup, so the new rows
-- hold exactly what the rollup rows they replace held.
insert into usage_model_hourly (tenant_id, hour, provider, model, region, tier, requests, input_tokens, output_tokens,
    cache_read_tokens, cache_write_tokens, errors, cost_usd, unpriced_requests)
select tenant_id, hour, provider, model, region, tier, sum(requests), sum(input_tokens), sum(output_tokens),
       sum(cache_read_tokens), sum(cache_write_tokens), sum(errors), sum(cost_usd), sum(unpriced_requests)
from usage_rollup_hourly
group by 1, 2, 3, 4, 5, 6;

-- Nothing reads it any more, and a usage-service of an earlier version writing it fails its ledger transaction (and
-- retries, losing nothing) instead of keeping a table nobody reads: stop those before this one starts (docs/analytics.md).
drop table usage_hourly;
