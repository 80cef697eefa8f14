package dev.keygate.usage.ledger;

import java.util.List;

import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Compares the aggregate tables summed per hour or day (V10, V11) with a tenant's raw {@code usage_event} rows
 * grouped the same way, written out here rather than shared with the code under test.
 */
final class AggregatesOfEvents {

    /** What a group of raw ledger rows adds up to. */
    static final String RAW_MEASURES = """
            count(*) as requests, sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens, \
            sum(cache_read_tokens) as cache_read_tokens, sum(cache_write_tokens) as cache_write_tokens, \
            count(*) filter (where status >= 400) as errors, coalesce(sum(cost_usd), 0)::numeric(24, 12) as cost_usd, \
            count(*) filter (where cost_usd is null and input_tokens + output_tokens > 0) as unpriced_requests""";

    /** One line of measures, the same for a stored row and a group of raw rows. */
    private static final String MEASURES = """
            requests::text || ' ' || input_tokens || ' ' || output_tokens || ' ' || cache_read_tokens || ' ' || \
            cache_write_tokens || ' ' || errors || ' ' || cost_usd::numeric(24, 12) || ' ' || unpriced_requests""";

    /** Table, its key columns after tenant and time, the same key over usage_event, its time unit (= column). */
    private static final String[][] TABLES = {
            {"usage_rollup_daily", "provider, model, region, tier",
                    "provider, coalesce(model, ''), coalesce(region, ''), coalesce(tier, '')", "day"},
            {"usage_model_hourly", "provider, model, region, tier",
                    "provider, coalesce(model, ''), coalesce(region, ''), coalesce(tier, '')", "hour"},
            {"usage_user_daily", "user_id", "coalesce(user_id, '')", "day"},
            {"usage_key_daily", "proxy_key_id", "coalesce(proxy_key_id, '')", "day"}};

    private AggregatesOfEvents() {
    }

    /**
     * Every table's rows of the tenant equal its raw events grouped the same way; each measure table holds more than
     * {@code moreRows} rows and each latency histogram table more than {@code moreLatencyRows} (bucket, count) pairs.
     */
    static void assertEqualTheEvents(JdbcTemplate jdbc, String tenant, int moreRows, int moreLatencyRows) {
        for (String[] table : TABLES) {
            List<String> stored = jdbc.queryForList("select concat_ws('|', " + table[3] + ", " + table[1]
                    + ") || ' ' || " + MEASURES + " from " + table[0] + " where tenant_id = ? order by 1", String.class,
                    tenant);
            List<String> raw = jdbc.queryForList("select concat_ws('|', t, k) || ' ' || " + MEASURES
                    + " from (select date_trunc('" + table[3] + "', occurred_at, 'UTC') as t, concat_ws('|', "
                    + table[2] + ") as k, " + RAW_MEASURES
                    + " from usage_event where tenant_id = ? group by 1, 2) e order by 1",
                    String.class, tenant);
            assertThat(stored).as(table[0]).hasSizeGreaterThan(moreRows).isEqualTo(raw);
        }
        for (String unit : new String[] {"hour", "day"}) {
            String table = unit.equals("hour") ? "usage_latency_hourly" : "usage_latency_daily";
            // One row per histogram (V13): counts[i] is bucket i - 1's, the array starting at subscript 1.
            List<String> latency = jdbc.queryForList("""
                    select concat_ws('|', %1$s, provider, model, metric, b.i - 1, b.requests)
                    from %2$s cross join lateral unnest(counts) with ordinality as b(requests, i)
                    where tenant_id = ? and b.requests > 0 order by 1""".formatted(unit, table), String.class, tenant);
            List<String> rawLatency = jdbc.queryForList("""
                    select concat_ws('|', t, provider, model, metric, bucket, count(*))
                    from (select date_trunc('%2$s', occurred_at, 'UTC') as t, provider, coalesce(model, '') as model,
                              'latency' as metric, %1$s as bucket
                          from (select *, latency_ms as ms from usage_event where tenant_id = ?) e
                          union all
                          select date_trunc('%2$s', occurred_at, 'UTC'), provider, coalesce(model, ''), 'first_byte',
                              %1$s
                          from (select *, first_byte_ms as ms from usage_event
                                where tenant_id = ? and first_byte_ms is not null) e) m
                    group by t, provider, model, metric, bucket order by 1""".formatted(LatencyHistogram.BUCKET_OF_MS,
                    unit), String.class, tenant, tenant);
            assertThat(latency).as(table).hasSizeGreaterThan(moreLatencyRows).isEqualTo(rawLatency);
            assertThat(jdbc.queryForObject("select count(*) from " + table
                    + " where tenant_id = ? and (array_lower(counts, 1) <> 1 or counts[1] is null)", Integer.class,
                    tenant)).as("%s: every histogram starts at bucket 0", table).isZero();
        }
    }
}
