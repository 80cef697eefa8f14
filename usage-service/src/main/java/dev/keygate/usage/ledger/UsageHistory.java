package dev.keygate.usage.ledger;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/** Reads the ledger for reports. Every query is bound to one tenant. */
@Component
public class UsageHistory {

    private static final String RECENT_EVENTS = """
            select event_id, occurred_at, received_at, region, tenant_id, user_id, caller_type, proxy_key_id,
                provider, model, operation, streamed, status, input_tokens, output_tokens, cache_read_tokens,
                cache_write_tokens, reasoning_tokens, latency_ms, first_byte_ms, trace_id, cost_usd, tier
            from usage_event
            where tenant_id = ?
            order by occurred_at desc, event_id desc
            limit ?
            """;

    /**
     * Totals per provider and model: the whole UTC days from {@code usage_rollup_daily}, the hours before the first
     * and after the last whole day from {@code usage_model_hourly} (both sum the same events per provider and model).
     */
    private static final String TOTALS_BY_MODEL = """
            select provider, model,
                sum(requests)::bigint as requests,
                sum(input_tokens)::bigint as input_tokens,
                sum(output_tokens)::bigint as output_tokens,
                sum(cache_read_tokens)::bigint as cache_read_tokens,
                sum(cache_write_tokens)::bigint as cache_write_tokens,
                sum(errors)::bigint as errors,
                sum(cost_usd) as cost_usd,
                sum(unpriced_requests)::bigint as unpriced_requests
            from (select provider, model, %1$s from usage_model_hourly
                  where tenant_id = ? and (hour >= ? and hour < ? or hour >= ? and hour < ?)
                  union all
                  select provider, model, %1$s from usage_rollup_daily
                  where tenant_id = ? and day >= ? and day < ?) u
            group by provider, model
            order by provider, model
            """.formatted(Measures.COLUMNS);

    /** How the aggregates file a call without a model (part of their primary keys). */
    private static final String NO_MODEL = "";

    private final JdbcTemplate jdbc;

    UsageHistory(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** The tenant's most recent events, newest first. */
    public List<LedgerEntry> recentEvents(String tenantId, int limit) {
        return jdbc.query(RECENT_EVENTS, UsageHistory::entry, tenantId, limit);
    }

    /** The tenant's totals per provider and model over the hours starting in {@code [from, to)}. */
    public List<ModelUsage> totalsByModel(String tenantId, Instant from, Instant to) {
        Instant firstDay = from.truncatedTo(ChronoUnit.DAYS).equals(from) ? from
                : from.truncatedTo(ChronoUnit.DAYS).plus(1, ChronoUnit.DAYS);
        Instant lastDay = to.truncatedTo(ChronoUnit.DAYS);
        if (!firstDay.isBefore(lastDay)) {
            // No whole day: every hour from usage_model_hourly, none from the daily table.
            firstDay = to;
            lastDay = to;
        }
        return jdbc.query(TOTALS_BY_MODEL, UsageHistory::modelUsage, tenantId, UsageLedger.utc(from),
                UsageLedger.utc(firstDay), UsageLedger.utc(lastDay), UsageLedger.utc(to), tenantId,
                UsageLedger.utc(firstDay), UsageLedger.utc(lastDay));
    }

    private static LedgerEntry entry(ResultSet row, int rowNum) throws SQLException {
        return new LedgerEntry(row.getObject("event_id", UUID.class), instant(row, "occurred_at"),
                instant(row, "received_at"), row.getString("region"), row.getString("tenant_id"),
                row.getString("user_id"), row.getString("caller_type"), row.getString("proxy_key_id"),
                row.getString("provider"), row.getString("model"), row.getString("operation"),
                row.getBoolean("streamed"), row.getInt("status"), row.getLong("input_tokens"),
                row.getLong("output_tokens"), row.getLong("cache_read_tokens"), row.getLong("cache_write_tokens"),
                row.getLong("reasoning_tokens"), row.getLong("latency_ms"), row.getObject("first_byte_ms", Long.class),
                row.getString("trace_id"), row.getBigDecimal("cost_usd"), row.getString("tier"));
    }

    private static ModelUsage modelUsage(ResultSet row, int rowNum) throws SQLException {
        String model = row.getString("model");
        return new ModelUsage(row.getString("provider"), NO_MODEL.equals(model) ? null : model,
                row.getLong("requests"), row.getLong("input_tokens"), row.getLong("output_tokens"),
                row.getLong("cache_read_tokens"), row.getLong("cache_write_tokens"), row.getLong("errors"),
                row.getBigDecimal("cost_usd"), row.getLong("unpriced_requests"));
    }

    private static Instant instant(ResultSet row, String column) throws SQLException {
        return row.getObject(column, OffsetDateTime.class).toInstant();
    }
}
