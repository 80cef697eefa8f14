package dev.keygate.usage.ledger;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.keygate.contracts.usage.v1.UsageRecorded;
import org.springframework.jdbc.core.BatchPreparedStatementSetter;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowCallbackHandler;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * Writes usage events into the ledger exactly once: an event whose id is already there changes nothing, and only
 * newly inserted events are added to the hourly totals, in the same transaction.
 */
@Component
public class UsageLedger {

    /**
     * Inserts a batch given as one array per column, prices each new event with the price in force when it happened,
     * and rolls the new ones up per hour and every analytics dimension, per hour and model (V11), per day in the
     * shapes the dashboard asks for (V10) and into the latency histograms, in one statement. Only rows the insert
     * returns (new event ids) reach the rollups, so a redelivery changes nothing; rollup rows are written in key order
     * (no deadlocks).
     * Returns each new event's id and cost.
     */
    private static final String INSERT_EVENTS = """
            with e as (
                select * from unnest(?::uuid[], ?::timestamptz[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
                    ?::text[], ?::text[], ?::text[], ?::boolean[], ?::integer[], ?::bigint[], ?::bigint[], ?::bigint[],
                    ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::text[])
                    as b(event_id, occurred_at, region, tenant_id, user_id, caller_type, proxy_key_id, provider, model,
                        operation, streamed, status, input_tokens, output_tokens, cache_read_tokens,
                        cache_write_tokens, reasoning_tokens, latency_ms, first_byte_ms, trace_id, tier)
            ), inserted as (
                insert into usage_event (event_id, occurred_at, region, tenant_id, user_id, caller_type, proxy_key_id,
                    provider, model, operation, streamed, status, input_tokens, output_tokens, cache_read_tokens,
                    cache_write_tokens, reasoning_tokens, latency_ms, first_byte_ms, trace_id, tier, cost_usd)
                select e.event_id, e.occurred_at, e.region, e.tenant_id, e.user_id, e.caller_type, e.proxy_key_id,
                    e.provider, e.model, e.operation, e.streamed, e.status, e.input_tokens, e.output_tokens,
                    e.cache_read_tokens, e.cache_write_tokens, e.reasoning_tokens, e.latency_ms, e.first_byte_ms,
                    e.trace_id, e.tier, %s
                from e
                on conflict (event_id) do nothing
                returning event_id, occurred_at, region, tenant_id, user_id, proxy_key_id, provider, model, status,
                    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, latency_ms, first_byte_ms, tier,
                    cost_usd
            ), rollup as (
                %s
            ), model_hourly as (
                %s
            ), measured as (
                -- Each new event's latency and first-byte bucket, for the hourly and daily histograms; the bucket
                -- formula is explained in V3.
                select tenant_id, occurred_at, provider, coalesce(model, '') as model, metric, %s as bucket
                from (select tenant_id, occurred_at, provider, model, 'latency' as metric, latency_ms as ms
                      from inserted
                      union all
                      select tenant_id, occurred_at, provider, model, 'first_byte', first_byte_ms
                      from inserted where first_byte_ms is not null) m
            ), latency as (
                %s
            ), rollup_daily as (
                %s
            ), user_daily as (
                %s
            ), key_daily as (
                %s
            ), latency_daily as (
                %s
            )
            select event_id, cost_usd from inserted
            """.formatted(PriceList.COST_OF_EVENT,
                    rollup("usage_rollup_hourly", "hour", "provider", "model", "user_id", "proxy_key_id", "region",
                            "tier"),
                    rollup("usage_model_hourly", "hour", "provider", "model", "region", "tier"),
                    LatencyHistogram.BUCKET_OF_MS, histogram("usage_latency_hourly", "hour"),
                    rollup("usage_rollup_daily", "day", "provider", "model", "region", "tier"),
                    rollup("usage_user_daily", "day", "user_id"),
                    rollup("usage_key_daily", "day", "proxy_key_id"),
                    histogram("usage_latency_daily", "day"));

    /**
     * Adds the measures of the {@code inserted} rows of {@link #INSERT_EVENTS} to {@code table}, keyed by tenant, the
     * start of the UTC {@code unit} (its column is named like the unit) and {@code keys}, a missing value as
     * {@code ''}.
     */
    private static String rollup(String table, String unit, String... keys) {
        String columns = String.join(", ", keys);
        String values = Arrays.stream(keys).map(key -> "coalesce(" + key + ", '')").collect(Collectors.joining(", "));
        String positions = IntStream.rangeClosed(1, keys.length + 2).mapToObj(Integer::toString)
                .collect(Collectors.joining(", "));
        return """
                insert into %1$s as r (tenant_id, %2$s, %3$s, %4$s)
                select tenant_id, date_trunc('%2$s', occurred_at, 'UTC'), %5$s, %6$s
                from inserted
                group by %7$s
                order by %7$s
                on conflict (tenant_id, %2$s, %3$s) do update set %8$s""".formatted(table, unit, columns,
                Measures.COLUMNS, values, Measures.OF_EVENTS, positions, Measures.ADDED);
    }

    /**
     * Counts the {@code measured} rows of {@link #INSERT_EVENTS} into a latency histogram per {@code unit}: one row per
     * tenant, unit, provider, model and metric, its buckets' counts added to the stored ones (V13).
     */
    private static String histogram(String table, String unit) {
        return """
                insert into %1$s as l (tenant_id, %2$s, provider, model, metric, counts)
                select tenant_id, %2$s, provider, model, metric, usage_histogram(bucket, requests)
                from (select tenant_id, date_trunc('%2$s', occurred_at, 'UTC') as %2$s, provider, model, metric, bucket,
                          count(*) as requests
                      from measured
                      group by 1, 2, 3, 4, 5, 6) b
                group by 1, 2, 3, 4, 5
                order by 1, 2, 3, 4, 5
                on conflict (tenant_id, %2$s, provider, model, metric) do update set
                    counts = usage_histogram_add(l.counts, excluded.counts)""".formatted(table, unit);
    }

    /** Adds spend given as one array per column, in the order given (primary-key order: no deadlocks). */
    private static final String ADD_TO_SPEND = """
            insert into budget_spend as s (tenant_id, scope, subject, period, period_start, cost_usd, tokens)
            select * from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::timestamptz[], ?::numeric[],
                ?::bigint[])
            on conflict (tenant_id, scope, subject, period, period_start) do update set
                cost_usd = s.cost_usd + excluded.cost_usd,
                tokens = s.tokens + excluded.tokens
            """;

    private static final String ADD_TO_GRANT = "update budget_grant set used_tokens = used_tokens + ? where grant_id = ?";

    private final JdbcTemplate jdbc;

    UsageLedger(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Records the events in one transaction and returns how many were new; the others were already in the ledger
     * (redeliveries) and are not counted again.
     */
    @Transactional
    public int record(List<UsageRecorded> events) {
        if (events.isEmpty()) {
            return 0;
        }
        // Id order: two transactions inserting the same redelivered ids wait on each other instead of deadlocking.
        List<UsageRecorded> ordered = events.stream().sorted(Comparator.comparing(UsageRecorded::eventId)).toList();
        Map<UUID, BigDecimal> costs = new HashMap<>();
        Set<UUID> inserted = new HashSet<>();
        jdbc.query(connection -> {
            PreparedStatement statement = connection.prepareStatement(INSERT_EVENTS);
            bindEvents(connection, statement, ordered);
            return statement;
        }, (RowCallbackHandler) row -> {
            UUID id = row.getObject("event_id", UUID.class);
            inserted.add(id);
            BigDecimal cost = row.getBigDecimal("cost_usd");
            if (cost != null) {
                costs.put(id, cost);
            }
        });
        List<UsageRecorded> fresh = new ArrayList<>(inserted.size());
        for (UsageRecorded event : ordered) {
            // remove: an id twice in one batch is one new event.
            if (inserted.remove(event.eventId())) {
                fresh.add(event);
            }
        }
        addToSpend(BudgetSpend.of(fresh, costs));
        addToGrants(fresh);
        return fresh.size();
    }

    private void addToSpend(List<BudgetSpend> spend) {
        if (spend.isEmpty()) {
            return;
        }
        int n = spend.size();
        String[] tenants = new String[n];
        String[] scopes = new String[n];
        String[] subjects = new String[n];
        String[] periods = new String[n];
        String[] starts = new String[n];
        BigDecimal[] cost = new BigDecimal[n];
        Long[] tokens = new Long[n];
        for (int i = 0; i < n; i++) {
            BudgetSpend row = spend.get(i);
            tenants[i] = row.tenantId();
            scopes[i] = row.scope();
            subjects[i] = row.subject();
            periods[i] = row.period();
            starts[i] = row.periodStart().toString();
            cost[i] = row.cost();
            tokens[i] = row.tokens();
        }
        jdbc.update(connection -> {
            PreparedStatement statement = connection.prepareStatement(ADD_TO_SPEND);
            statement.setArray(1, connection.createArrayOf("text", tenants));
            statement.setArray(2, connection.createArrayOf("text", scopes));
            statement.setArray(3, connection.createArrayOf("text", subjects));
            statement.setArray(4, connection.createArrayOf("text", periods));
            statement.setArray(5, connection.createArrayOf("text", starts));
            statement.setArray(6, connection.createArrayOf("numeric", cost));
            statement.setArray(7, connection.createArrayOf("int8", tokens));
            return statement;
        });
    }

    /** Counts each new event's tokens against the budget shares it reserved under, in grant order (no deadlocks). */
    private void addToGrants(List<UsageRecorded> fresh) {
        Map<UUID, Long> used = new TreeMap<>();
        for (UsageRecorded event : fresh) {
            if (event.budgetGrants() != null) {
                for (UUID grant : event.budgetGrants()) {
                    used.merge(grant, event.usage().totalTokens(), Long::sum);
                }
            }
        }
        if (used.isEmpty()) {
            return;
        }
        List<Map.Entry<UUID, Long>> rows = List.copyOf(used.entrySet());
        jdbc.batchUpdate(ADD_TO_GRANT, new BatchPreparedStatementSetter() {
            @Override
            public void setValues(PreparedStatement statement, int i) throws SQLException {
                statement.setLong(1, rows.get(i).getValue());
                statement.setObject(2, rows.get(i).getKey());
            }

            @Override
            public int getBatchSize() {
                return rows.size();
            }
        });
    }

    /** Binds the events as one array per column of {@link #INSERT_EVENTS}, in their order. */
    private static void bindEvents(Connection connection, PreparedStatement statement, List<UsageRecorded> events)
            throws SQLException {
        int n = events.size();
        UUID[] ids = new UUID[n];
        String[] occurred = new String[n];
        String[] regions = new String[n];
        String[] tenants = new String[n];
        String[] users = new String[n];
        String[] callerTypes = new String[n];
        String[] keys = new String[n];
        String[] providers = new String[n];
        String[] models = new String[n];
        String[] operations = new String[n];
        Boolean[] streamed = new Boolean[n];
        Integer[] statuses = new Integer[n];
        Long[] input = new Long[n];
        Long[] output = new Long[n];
        Long[] cacheRead = new Long[n];
        Long[] cacheWrite = new Long[n];
        Long[] reasoning = new Long[n];
        Long[] latency = new Long[n];
        Long[] firstByte = new Long[n];
        String[] traces = new String[n];
        String[] tiers = new String[n];
        for (int i = 0; i < n; i++) {
            UsageRecorded event = events.get(i);
            ids[i] = event.eventId();
            occurred[i] = event.occurredAt().toString();
            regions[i] = event.region();
            tenants[i] = event.tenantId();
            users[i] = event.userId();
            callerTypes[i] = event.callerType();
            keys[i] = event.proxyKeyId();
            providers[i] = event.provider();
            models[i] = event.model();
            operations[i] = event.operation();
            streamed[i] = event.streamed();
            statuses[i] = event.status();
            input[i] = event.usage().inputTokens();
            output[i] = event.usage().outputTokens();
            cacheRead[i] = event.usage().cacheReadTokens();
            cacheWrite[i] = event.usage().cacheWriteTokens();
            reasoning[i] = event.usage().reasoningTokens();
            latency[i] = event.latencyMs();
            firstByte[i] = event.firstByteMs();
            traces[i] = event.traceId();
            tiers[i] = event.tier();
        }
        Object[][] columns = {ids, occurred, regions, tenants, users, callerTypes, keys, providers, models, operations,
                streamed, statuses, input, output, cacheRead, cacheWrite, reasoning, latency, firstByte, traces, tiers};
        String[] types = {"uuid", "text", "text", "text", "text", "text", "text", "text", "text", "text", "bool",
                "int4", "int8", "int8", "int8", "int8", "int8", "int8", "int8", "text", "text"};
        for (int c = 0; c < columns.length; c++) {
            statement.setArray(c + 1, connection.createArrayOf(types[c], columns[c]));
        }
    }

    static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }
}
