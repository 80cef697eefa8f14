-- Latency and time-to-first-byte histograms as one row per tenant, hour (or day), provider, model and metric, with
-- the count of every bucket in one array, instead of one row per bucket. The ledger rewrote about 1.6 histogram rows
-- per event in each table (3,030 of them for 1,900 events in bench/usage-ingest.sh), each at the cost of an upsert;
-- now it writes about 12 times fewer, each adding two arrays.
--
-- counts[i] is the number of values in bucket i - 1 (buckets as in V3: bucket 0 holds 0 ms, bucket b >= 1 the values
-- v with 1.05^(b-2) < v <= 1.05^(b-1)). The array starts at subscript 1 (bucket 0) and ends at the highest bucket
-- seen; a bucket never seen is null or 0.

-- Adds two histograms element by element; the shorter one counts as zeros past its end.
create function usage_histogram_add(a bigint[], b bigint[]) returns bigint[]
    language sql immutable parallel safe
as $$
    select array_agg(coalesce(x, 0) + coalesce(y, 0) order by i)
    from unnest(a, b) with ordinality as t(x, y, i)
$$;

-- Adds n values to bucket b of a histogram.
create function usage_histogram_put(counts bigint[], b integer, n bigint) returns bigint[]
    language plpgsql immutable parallel safe
as $$
begin
    if cardinality(counts) = 0 then
        -- Subscript 1 first: assigning only counts[b + 1] to an empty array would start it at that subscript.
        counts := array[0::bigint];
    end if;
    counts[b + 1] := coalesce(counts[b + 1], 0) + n;
    return counts;
end
$$;

-- usage_histogram(bucket, n): the histogram of a group's (bucket, count) pairs.
create aggregate usage_histogram(integer, bigint) (
    sfunc = usage_histogram_put,
    stype = bigint[],
    initcond = '{}'
);

alter table usage_latency_hourly rename to usage_latency_hourly_v3;
alter index usage_latency_hourly_pkey rename to usage_latency_hourly_v3_pkey;
alter table usage_latency_daily rename to usage_latency_daily_v10;
alter index usage_latency_daily_pkey rename to usage_latency_daily_v10_pkey;

create table usage_latency_hourly (
    tenant_id text        not null,
    hour      timestamptz not null,
    provider  text        not null,
    model     text        not null,
    metric    text        not null,
    counts    bigint[]    not null,
    primary key (tenant_id, hour, provider, model, metric)
);

create table usage_latency_daily (
    tenant_id text        not null,
    day       timestamptz not null,
    provider  text        not null,
    model     text        not null,
    metric    text        not null,
    counts    bigint[]    not null,
    primary key (tenant_id, day, provider, model, metric)
);

-- The histograms kept so far are converted once here.
insert into usage_latency_hourly (tenant_id, hour, provider, model, metric, counts)
select tenant_id, hour, provider, model, metric, usage_histogram(bucket, requests)
from usage_latency_hourly_v3
group by 1, 2, 3, 4, 5;

insert into usage_latency_daily (tenant_id, day, provider, model, metric, counts)
select tenant_id, day, provider, model, metric, usage_histogram(bucket, requests)
from usage_latency_daily_v10
group by 1, 2, 3, 4, 5;

drop table usage_latency_hourly_v3;
drop table usage_latency_daily_v10;
