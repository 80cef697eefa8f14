package dev.keygate.usage.ledger;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * Prices a tenant's recorded calls again with the price list as it is now, after a price correction or a price that
 * arrived after its calls, and brings the hourly totals in line, in one transaction. The period is widened to whole
 * UTC hours so every hourly row it touches is recomputed from its events; the daily tables' rows of every day the
 * period touches are then summed again from those hours. Ingestion waits for it (the hourly table
 * is locked against concurrent writers) so no call is counted twice or lost while it runs.
 */
@Component
public class Rerating {

    private static final String RERATE_EVENTS = """
            update usage_event e set cost_usd = %s
            where e.tenant_id = ? and e.occurred_at >= ? and e.occurred_at < ?
            """.formatted(PriceList.COST_OF_EVENT);

    private static final String RECOMPUTE_ROLLUP = """
            update usage_rollup_hourly r set cost_usd = s.cost, unpriced_requests = s.unpriced
            from (select tenant_id, date_trunc('hour', occurred_at, 'UTC') as hour, provider,
                         coalesce(model, '') as model, coalesce(user_id, '') as user_id,
                         coalesce(proxy_key_id, '') as proxy_key_id, coalesce(region, '') as region,
                         coalesce(tier, '') as tier, coalesce(sum(cost_usd), 0) as cost,
                         count(*) filter (where cost_usd is null and input_tokens + output_tokens > 0) as unpriced
                  from usage_event
                  where tenant_id = ? and occurred_at >= ? and occurred_at < ?
                  group by 1, 2, 3, 4, 5, 6, 7, 8) s
            where r.tenant_id = s.tenant_id and r.hour = s.hour and r.provider = s.provider and r.model = s.model
              and r.user_id = s.user_id and r.proxy_key_id = s.proxy_key_id and r.region = s.region
              and r.tier = s.tier
            """;

    /**
     * Brings a table summed from the hourly rollup in line with it, for the periods given; %1$s is the table, %2$s its
     * key columns after tenant and time, %5$s its time column (named as its unit: hour or day).
     */
    private static final String RECOMPUTE_FROM_ROLLUP = """
            update %1$s d set cost_usd = s.cost, unpriced_requests = s.unpriced
            from (select tenant_id, date_trunc('%5$s', hour, 'UTC') as period, %2$s, sum(cost_usd) as cost,
                         sum(unpriced_requests) as unpriced
                  from usage_rollup_hourly
                  where tenant_id = ? and hour >= ? and hour < ?
                  group by tenant_id, 2, %2$s) s
            where d.tenant_id = s.tenant_id and d.%5$s = s.period and (%3$s) = (%4$s)
            """;

    /** The per-model hourly table (V11) and its key columns after tenant and hour. */
    private static final String MODEL_HOURLY = "usage_model_hourly";

    private static final List<String> PER_MODEL = List.of("provider", "model", "region", "tier");

    /** The daily tables that keep cost, and their key columns after tenant and day. */
    private static final Map<String, List<String>> DAILY = new LinkedHashMap<>();

    static {
        DAILY.put("usage_rollup_daily", PER_MODEL);
        DAILY.put("usage_user_daily", List.of("user_id"));
        DAILY.put("usage_key_daily", List.of("proxy_key_id"));
    }

    private static final String TOTALS = """
            select coalesce(sum(cost_usd), 0) as cost, coalesce(sum(unpriced_requests), 0) as unpriced
            from usage_model_hourly where tenant_id = ? and hour >= ? and hour < ?
            """;

    private final JdbcTemplate jdbc;

    Rerating(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Transactional
    public Result rerate(String tenantId, Instant from, Instant to) {
        Instant start = from.truncatedTo(ChronoUnit.HOURS);
        Instant end = to.truncatedTo(ChronoUnit.HOURS).equals(to) ? to : to.truncatedTo(ChronoUnit.HOURS)
                .plus(1, ChronoUnit.HOURS);
        // The ledger's order: its event statement writes the hourly rollup, the per-model hours, then the days.
        jdbc.execute("lock table usage_rollup_hourly, usage_model_hourly, usage_rollup_daily, usage_user_daily, "
                + "usage_key_daily in share row exclusive mode");
        Object[] range = {tenantId, UsageLedger.utc(start), UsageLedger.utc(end)};
        Totals before = totals(range);
        int events = jdbc.update(RERATE_EVENTS, range);
        jdbc.update(RECOMPUTE_ROLLUP, range);
        recompute(MODEL_HOURLY, PER_MODEL, "hour", range);
        // Every day the period touches, summed again from its hours (the days' other hours did not change).
        Instant firstDay = start.truncatedTo(ChronoUnit.DAYS);
        Instant lastDay = end.truncatedTo(ChronoUnit.DAYS).equals(end) ? end
                : end.truncatedTo(ChronoUnit.DAYS).plus(1, ChronoUnit.DAYS);
        Object[] days = {tenantId, UsageLedger.utc(firstDay), UsageLedger.utc(lastDay)};
        DAILY.forEach((table, key) -> recompute(table, key, "day", days));
        Totals after = totals(range);
        return new Result(start, end, events, before.cost(), after.cost(), after.unpriced());
    }

    private void recompute(String table, List<String> key, String unit, Object[] period) {
        jdbc.update(RECOMPUTE_FROM_ROLLUP.formatted(table, String.join(", ", key),
                key.stream().map(column -> "d." + column).collect(Collectors.joining(", ")),
                key.stream().map(column -> "s." + column).collect(Collectors.joining(", ")), unit), period);
    }

    private Totals totals(Object[] range) {
        return jdbc.queryForObject(TOTALS, (row, n) -> new Totals(row.getBigDecimal("cost"), row.getLong("unpriced")),
                range);
    }

    private record Totals(BigDecimal cost, long unpriced) {
    }

    /**
     * What a re-rating did over the whole UTC hours {@code [from, to)}.
     *
     * @param unpricedRequests calls that used tokens and still have no price
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Result(Instant from, Instant to, int events, BigDecimal costBefore, BigDecimal costAfter,
                         long unpricedRequests) {
    }
}
