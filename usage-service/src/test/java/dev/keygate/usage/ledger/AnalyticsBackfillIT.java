package dev.keygate.usage.ledger;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import dev.keygate.testkit.LocalPostgres;
import dev.keygate.testkit.ServiceDatabase;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * V3 rolls up the events a ledger already held when it is upgraded, with the same buckets the ledger uses for new
 * events ({@link LatencyHistogram#bucketOf(long)}); V9 keys the rollups by license tier, leaving what was rolled up
 * before under no tier (''); V10 sums the hourly tables per day into the daily ones, V11 the hourly rollup per model
 * and hour, V13 turns the latency histograms' rows per bucket into one array per histogram. A database of its own,
 * migrated by Flyway as usage-service would.
 */
class AnalyticsBackfillIT {

    @Test
    void rollsUpEventsRecordedBeforeTheAnalyticsTablesExisted() {
        DriverManagerDataSource source = emptyDatabase();
        JdbcTemplate jdbc = new JdbcTemplate(source);
        Flyway.configure().dataSource(source).target("2").load().migrate();
        insert(jdbc, "2026-01-05T10:05:00Z", "alice", "k1", "gpt-4o", "eu-west-1", 200, 10, 5, "0.5", 100, 20L);
        insert(jdbc, "2026-01-05T10:30:00Z", "alice", "k1", "gpt-4o", "eu-west-1", 500, 1, 0, null, 7, null);
        insert(jdbc, "2026-01-05T11:00:00Z", "bob", null, null, null, 200, 0, 0, null, 0, 0L);

        Flyway.configure().dataSource(source).load().migrate();

        List<Map<String, Object>> rollup = jdbc.queryForList("""
                select to_char(hour at time zone 'UTC', 'HH24:MI') as hour, model, user_id, proxy_key_id, region,
                    requests, input_tokens, output_tokens, errors, cost_usd, unpriced_requests
                from usage_rollup_hourly order by hour""");
        assertThat(rollup).hasSize(2);
        assertThat(rollup.get(0)).containsEntry("hour", "10:00").containsEntry("model", "gpt-4o")
                .containsEntry("user_id", "alice").containsEntry("proxy_key_id", "k1")
                .containsEntry("region", "eu-west-1").containsEntry("requests", 2L)
                .containsEntry("input_tokens", 11L).containsEntry("output_tokens", 5L).containsEntry("errors", 1L)
                .containsEntry("unpriced_requests", 1L);
        assertThat((BigDecimal) rollup.get(0).get("cost_usd")).isEqualByComparingTo("0.5");
        assertThat(rollup.get(1)).containsEntry("hour", "11:00").containsEntry("model", "")
                .containsEntry("proxy_key_id", "").containsEntry("region", "").containsEntry("requests", 1L)
                .containsEntry("unpriced_requests", 0L);

        List<String> histogram = jdbc.query("""
                select to_char(hour at time zone 'UTC', 'HH24:MI') || ' ' || model || ' ' || metric || ' ' || b.i - 1
                    || ' x' || b.requests
                from usage_latency_hourly cross join lateral unnest(counts) with ordinality as b(requests, i)
                where b.requests > 0 order by hour, model, metric, b.i""", (row, n) -> row.getString(1));
        assertThat(histogram).containsExactlyInAnyOrder(
                "10:00 gpt-4o first_byte " + LatencyHistogram.bucketOf(20) + " x1",
                "10:00 gpt-4o latency " + LatencyHistogram.bucketOf(7) + " x1",
                "10:00 gpt-4o latency " + LatencyHistogram.bucketOf(100) + " x1",
                "11:00  first_byte 0 x1",
                "11:00  latency 0 x1");
        assertThat(LatencyHistogram.upperBound(LatencyHistogram.bucketOf(100))).isBetween(100L, 104L);
    }

    @Test
    void keysRollupsByTierAndKeepsWhatWasRolledUpBeforeUnderNoTierWithoutBackfill() {
        DriverManagerDataSource source = emptyDatabase();
        JdbcTemplate jdbc = new JdbcTemplate(source);
        Flyway.configure().dataSource(source).target("2").load().migrate();
        insert(jdbc, "2026-01-05T10:05:00Z", "alice", "k1", "gpt-4o", "eu-west-1", 200, 10, 5, "0.5", 100, 20L);
        insert(jdbc, "2026-01-05T10:30:00Z", "bob", "k2", "gpt-4o", "eu-west-1", 200, 1, 1, "0.25", 7, null);
        Flyway.configure().dataSource(source).target("8").load().migrate();
        List<Map<String, Object>> before = jdbc.queryForList(ROLLUP);

        Flyway.configure().dataSource(source).target("9").load().migrate();

        assertThat(jdbc.queryForObject("select max(version::int) from flyway_schema_history where success",
                Integer.class)).isEqualTo(9);
        assertThat(jdbc.queryForList(ROLLUP)).as("the rollups themselves are untouched").isEqualTo(before);
        assertThat(jdbc.queryForList("select distinct tier from usage_rollup_hourly", String.class))
                .as("every row rolled up before is of calls without a tier").containsExactly("");
        assertThat(jdbc.queryForObject("select count(*) from usage_event where tier is null", Integer.class))
                .as("no backfill of past calls").isEqualTo(2);
        assertThat(jdbc.queryForList("""
                select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
                where i.indrelid = 'usage_rollup_hourly'::regclass and i.indisprimary order by a.attname""",
                String.class)).containsExactly("hour", "model", "provider", "proxy_key_id", "region", "tenant_id",
                "tier", "user_id");
        // Same hour, user, key, model and region, another tier: a row of its own, not a conflict.
        jdbc.update("""
                insert into usage_rollup_hourly (tenant_id, hour, provider, model, user_id, proxy_key_id, region, tier,
                    requests, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, errors, cost_usd,
                    unpriced_requests)
                values ('acme', '2026-01-05T10:00:00Z', 'openai', 'gpt-4o', 'alice', 'k1', 'eu-west-1', 'pro',
                    1, 1, 1, 0, 0, 0, 0, 0)""");
        assertThat(jdbc.queryForList("""
                select tier || ' ' || requests from usage_rollup_hourly where user_id = 'alice' order by tier""",
                String.class)).containsExactly(" 1", "pro 1");
    }

    @Test
    void sumsWhatTheHourlyTablesHoldPerDayAndPerModelHourExactlyWhenThoseTablesAreCreated() {
        DriverManagerDataSource source = emptyDatabase();
        JdbcTemplate jdbc = new JdbcTemplate(source);
        Flyway.configure().dataSource(source).target("2").load().migrate();
        String[] users = {"alice", "bob", null};
        String[] keys = {"k1", "k2", null};
        String[] models = {"gpt-4o", "gpt-4o-mini", null};
        String[] regions = {"eu-west-1", null};
        for (int i = 0; i < 120; i++) {
            // Eight days, a call every 91 minutes.
            String at = java.time.Instant.parse("2026-01-04T00:00:00Z").plusSeconds(i * 13 * 60L * 7).toString();
            insert(jdbc, at, users[i % 3], keys[i / 3 % 3], models[i / 2 % 3], regions[i % 2], i % 11 == 0 ? 500 : 200,
                    i * 1000L, i * 10L, i % 5 == 0 ? null : "0." + i, i * 37L % 5000, i % 4 == 0 ? null : i * 3L);
        }
        Flyway.configure().dataSource(source).target("9").load().migrate();
        // A call of a tier, rolled up by the ledger after V9 (events before it have none).
        insert(jdbc, "2026-01-05T10:07:00Z", "alice", "k1", "gpt-4o", "eu-west-1", 200, 5, 5, "0.01", 12, null);
        jdbc.update("update usage_event set tier = 'pro' where occurred_at = '2026-01-05T10:07:00Z'");
        jdbc.update("""
                insert into usage_rollup_hourly values ('acme', '2026-01-05T10:00:00Z', 'openai', 'gpt-4o', 'alice',
                    'k1', 'eu-west-1', 1, 5, 5, 0, 0, 0, 0.01, 0, 'pro')""");
        jdbc.update("""
                insert into usage_latency_hourly values ('acme', '2026-01-05T10:00:00Z', 'openai', 'gpt-4o', 'latency',
                    ?, 1)
                on conflict (tenant_id, hour, provider, model, metric, bucket) do update
                    set requests = usage_latency_hourly.requests + 1""", LatencyHistogram.bucketOf(12));

        Flyway.configure().dataSource(source).load().migrate();

        assertThat(jdbc.queryForObject("select max(version::int) from flyway_schema_history where success",
                Integer.class)).isEqualTo(13);
        AggregatesOfEvents.assertEqualTheEvents(jdbc, "acme", 3, 10);
        assertThat(jdbc.queryForObject("select count(distinct day) from usage_rollup_daily", Integer.class))
                .as("2026-01-04 to 11").isEqualTo(8);
    }

    private static final String ROLLUP = """
            select tenant_id, hour, provider, model, user_id, proxy_key_id, region, requests, input_tokens,
                output_tokens, errors, cost_usd, unpriced_requests
            from usage_rollup_hourly order by user_id""";

    private static DriverManagerDataSource emptyDatabase() {
        ServiceDatabase database = LocalPostgres.shared().database("usage_backfill", false);
        DriverManagerDataSource source = new DriverManagerDataSource(database.jdbcUrl(), database.username(),
                database.password());
        JdbcTemplate jdbc = new JdbcTemplate(source);
        jdbc.execute("drop schema public cascade");
        jdbc.execute("create schema public");
        return source;
    }

    private static void insert(JdbcTemplate jdbc, String at, String user, String key, String model, String region,
                               int status, long input, long output, String cost, long latencyMs, Long firstByteMs) {
        jdbc.update("""
                insert into usage_event (event_id, occurred_at, region, tenant_id, user_id, proxy_key_id, provider,
                    model, streamed, status, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
                    reasoning_tokens, latency_ms, first_byte_ms, cost_usd)
                values (gen_random_uuid(), ?::timestamptz, ?, 'acme', ?, ?, 'openai', ?, false, ?, ?, ?, 0, 0, 0, ?, ?,
                    ?::numeric)""", at, region, user, key, model, status, input, output, latencyMs, firstByteMs, cost);
    }
}
