package dev.keygate.usage.ledger;

import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

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

    private static final String INSERT_EVENT = """
            insert into usage_event (event_id, occurred_at, region, tenant_id, user_id, caller_type, proxy_key_id,
                provider, model, operation, streamed, status, input_tokens, output_tokens, cache_read_tokens,
                cache_write_tokens, reasoning_tokens, latency_ms, first_byte_ms, trace_id, tier)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            on conflict (event_id) do nothing
            """;

    private static final String PRICE_EVENTS = """
            update usage_event e set cost_usd = %s
            where e.event_id = any(?)
            returning e.event_id, e.cost_usd
            """.formatted(PriceList.COST_OF_EVENT);

    private static final String ADD_TO_HOUR = """
            insert into usage_hourly (tenant_id, hour, provider, model, user_id, requests, input_tokens, output_tokens,
                cache_read_tokens, cache_write_tokens, errors, cost_usd, unpriced_requests)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            on conflict (tenant_id, hour, provider, model, user_id) do update set
                requests = usage_hourly.requests + excluded.requests,
                input_tokens = usage_hourly.input_tokens + excluded.input_tokens,
                output_tokens = usage_hourly.output_tokens + excluded.output_tokens,
                cache_read_tokens = usage_hourly.cache_read_tokens + excluded.cache_read_tokens,
                cache_write_tokens = usage_hourly.cache_write_tokens + excluded.cache_write_tokens,
                errors = usage_hourly.errors + excluded.errors,
                cost_usd = usage_hourly.cost_usd + excluded.cost_usd,
                unpriced_requests = usage_hourly.unpriced_requests + excluded.unpriced_requests
            """;

    private static final String ADD_TO_SPEND = """
            insert into budget_spend (tenant_id, scope, subject, period, period_start, cost_usd, tokens)
            values (?, ?, ?, ?, ?, ?, ?)
            on conflict (tenant_id, scope, subject, period, period_start) do update set
                cost_usd = budget_spend.cost_usd + excluded.cost_usd,
                tokens = budget_spend.tokens + excluded.tokens
            """;

    private static final String ADD_TO_GRANT = "update budget_grant set used_tokens = used_tokens + ? where grant_id = ?";

    /** Rolls the newly inserted events up per hour and every analytics dimension, in key order (no deadlocks). */
    private static final String ADD_TO_ROLLUP = """
            insert into usage_rollup_hourly as r (tenant_id, hour, provider, model, user_id, proxy_key_id, region,
                tier, requests, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, errors, cost_usd,
                unpriced_requests)
            select tenant_id, date_trunc('hour', occurred_at, 'UTC'), provider, coalesce(model, ''),
                coalesce(user_id, ''), coalesce(proxy_key_id, ''), coalesce(region, ''), coalesce(tier, ''), count(*),
                sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
                count(*) filter (where status >= 400), coalesce(sum(cost_usd), 0),
                count(*) filter (where cost_usd is null and input_tokens + output_tokens > 0)
            from usage_event where event_id = any(?)
            group by 1, 2, 3, 4, 5, 6, 7, 8
            order by 1, 2, 3, 4, 5, 6, 7, 8
            on conflict (tenant_id, hour, provider, model, user_id, proxy_key_id, region, tier) do update set
                requests = r.requests + excluded.requests,
                input_tokens = r.input_tokens + excluded.input_tokens,
                output_tokens = r.output_tokens + excluded.output_tokens,
                cache_read_tokens = r.cache_read_tokens + excluded.cache_read_tokens,
                cache_write_tokens = r.cache_write_tokens + excluded.cache_write_tokens,
                errors = r.errors + excluded.errors,
                cost_usd = r.cost_usd + excluded.cost_usd,
                unpriced_requests = r.unpriced_requests + excluded.unpriced_requests
            """;

    /** Adds the newly inserted events to the latency histograms; the bucket formula is explained in V3. */
    private static final String ADD_TO_LATENCY = """
            insert into usage_latency_hourly as l (tenant_id, hour, provider, model, metric, bucket, requests)
            select tenant_id, date_trunc('hour', occurred_at, 'UTC'), provider, coalesce(model, ''), metric,
                %s, count(*)
            from (select tenant_id, occurred_at, provider, model, 'latency' as metric, latency_ms as ms
                  from usage_event where event_id = any(?)
                  union all
                  select tenant_id, occurred_at, provider, model, 'first_byte', first_byte_ms
                  from usage_event where event_id = any(?) and first_byte_ms is not null) m
            group by 1, 2, 3, 4, 5, 6
            order by 1, 2, 3, 4, 5, 6
            on conflict (tenant_id, hour, provider, model, metric, bucket) do update set
                requests = l.requests + excluded.requests
            """.formatted(LatencyHistogram.BUCKET_OF_MS);

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
        int[] inserted = jdbc.batchUpdate(INSERT_EVENT, new BatchPreparedStatementSetter() {
            @Override
            public void setValues(PreparedStatement statement, int i) throws SQLException {
                bindEvent(statement, ordered.get(i));
            }

            @Override
            public int getBatchSize() {
                return ordered.size();
            }
        });
        List<UsageRecorded> fresh = new ArrayList<>(ordered.size());
        for (int i = 0; i < inserted.length; i++) {
            if (inserted[i] == Statement.SUCCESS_NO_INFO) {
                // Without per-row counts a redelivery could not be told from a new event; refuse rather than guess.
                throw new IllegalStateException("The JDBC driver did not report per-row insert counts; "
                        + "do not enable reWriteBatchedInserts for the usage database.");
            }
            if (inserted[i] > 0) {
                fresh.add(ordered.get(i));
            }
        }
        Map<UUID, BigDecimal> costs = price(fresh);
        List<HourlyTotal> totals = HourlyTotal.of(fresh, costs);
        jdbc.batchUpdate(ADD_TO_HOUR, new BatchPreparedStatementSetter() {
            @Override
            public void setValues(PreparedStatement statement, int i) throws SQLException {
                bindTotal(statement, totals.get(i));
            }

            @Override
            public int getBatchSize() {
                return totals.size();
            }
        });
        List<BudgetSpend> spend = BudgetSpend.of(fresh, costs);
        jdbc.batchUpdate(ADD_TO_SPEND, new BatchPreparedStatementSetter() {
            @Override
            public void setValues(PreparedStatement statement, int i) throws SQLException {
                BudgetSpend row = spend.get(i);
                statement.setString(1, row.tenantId());
                statement.setString(2, row.scope());
                statement.setString(3, row.subject());
                statement.setString(4, row.period());
                statement.setObject(5, utc(row.periodStart()));
                statement.setBigDecimal(6, row.cost());
                statement.setLong(7, row.tokens());
            }

            @Override
            public int getBatchSize() {
                return spend.size();
            }
        });
        addToGrants(fresh);
        rollUp(fresh);
        return fresh.size();
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

    private void rollUp(List<UsageRecorded> fresh) {
        if (fresh.isEmpty()) {
            return;
        }
        UUID[] ids = fresh.stream().map(UsageRecorded::eventId).toArray(UUID[]::new);
        jdbc.update(connection -> {
            PreparedStatement statement = connection.prepareStatement(ADD_TO_ROLLUP);
            statement.setArray(1, connection.createArrayOf("uuid", ids));
            return statement;
        });
        jdbc.update(connection -> {
            PreparedStatement statement = connection.prepareStatement(ADD_TO_LATENCY);
            statement.setArray(1, connection.createArrayOf("uuid", ids));
            statement.setArray(2, connection.createArrayOf("uuid", ids));
            return statement;
        });
    }

    /** Prices the newly recorded events with the price in force when each happened; absent: no price known. */
    private Map<UUID, BigDecimal> price(List<UsageRecorded> fresh) {
        Map<UUID, BigDecimal> costs = new HashMap<>();
        if (fresh.isEmpty()) {
            return costs;
        }
        UUID[] ids = fresh.stream().map(UsageRecorded::eventId).toArray(UUID[]::new);
        jdbc.query(connection -> {
            PreparedStatement statement = connection.prepareStatement(PRICE_EVENTS);
            statement.setArray(1, connection.createArrayOf("uuid", ids));
            return statement;
        }, (RowCallbackHandler) row -> {
            BigDecimal cost = row.getBigDecimal("cost_usd");
            if (cost != null) {
                costs.put(row.getObject("event_id", UUID.class), cost);
            }
        });
        return costs;
    }

    private static void bindEvent(PreparedStatement statement, UsageRecorded event) throws SQLException {
        statement.setObject(1, event.eventId());
        statement.setObject(2, utc(event.occurredAt()));
        statement.setString(3, event.region());
        statement.setString(4, event.tenantId());
        statement.setString(5, event.userId());
        statement.setString(6, event.callerType());
        statement.setString(7, event.proxyKeyId());
        statement.setString(8, event.provider());
        statement.setString(9, event.model());
        statement.setString(10, event.operation());
        statement.setBoolean(11, event.streamed());
        statement.setInt(12, event.status());
        statement.setLong(13, event.usage().inputTokens());
        statement.setLong(14, event.usage().outputTokens());
        statement.setLong(15, event.usage().cacheReadTokens());
        statement.setLong(16, event.usage().cacheWriteTokens());
        statement.setLong(17, event.usage().reasoningTokens());
        statement.setLong(18, event.latencyMs());
        statement.setObject(19, event.firstByteMs(), Types.BIGINT);
        statement.setString(20, event.traceId());
        statement.setString(21, event.tier());
    }

    private static void bindTotal(PreparedStatement statement, HourlyTotal total) throws SQLException {
        HourlyTotal.Bucket bucket = total.bucket();
        statement.setString(1, bucket.tenantId());
        statement.setObject(2, utc(bucket.hour()));
        statement.setString(3, bucket.provider());
        statement.setString(4, bucket.model());
        statement.setString(5, bucket.userId());
        statement.setLong(6, total.requests());
        statement.setLong(7, total.inputTokens());
        statement.setLong(8, total.outputTokens());
        statement.setLong(9, total.cacheReadTokens());
        statement.setLong(10, total.cacheWriteTokens());
        statement.setLong(11, total.errors());
        statement.setBigDecimal(12, total.cost());
        statement.setLong(13, total.unpriced());
    }

    static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }
}
