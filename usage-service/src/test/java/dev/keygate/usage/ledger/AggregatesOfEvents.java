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
     * {@code moreRows} rows and the daily latency histogram more than {@code moreLatencyRows}.
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
        List<String> latency = jdbc.queryForList("""
                select concat_ws('|', day, provider, model, metric, bucket, requests) from usage_latency_daily
                where tenant_id = ? order by 1""", String.class, tenant);
        List<String> rawLatency = jdbc.queryForList("""
                select concat_ws('|', day, provider, model, metric, bucket, count(*))
                from (select date_trunc('day', occurred_at, 'UTC') as day, provider, coalesce(model, '') as model,
                          'latency' as metric, %1$s as bucket
                      from (select *, latency_ms as ms from usage_event where tenant_id = ?) e
                      union all
                      select date_trunc('day', occurred_at, 'UTC'), provider, coalesce(model, ''), 'first_byte', %1$s
                      from (select *, first_byte_ms as ms from usage_event
                            where tenant_id = ? and first_byte_ms is not null) e) m
                group by day, provider, model, metric, bucket order by 1""".formatted(LatencyHistogram.BUCKET_OF_MS),
                String.class, tenant, tenant);
        assertThat(latency).as("usage_latency_daily").hasSizeGreaterThan(moreLatencyRows).isEqualTo(rawLatency);
    }
}
