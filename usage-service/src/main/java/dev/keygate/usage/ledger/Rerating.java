package dev.keygate.usage.ledger;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * Prices a tenant's recorded calls again with the price list as it is now, after a price correction or a price that
 * arrived after its calls, and brings the hourly totals in line, in one transaction. The period is widened to whole
 * UTC hours so every hourly row it touches is recomputed from its events. Ingestion waits for it (the hourly table
 * is locked against concurrent writers) so no call is counted twice or lost while it runs.
 */
@Component
public class Rerating {

    private static final String RERATE_EVENTS = """
            update usage_event e set cost_usd = %s
            where e.tenant_id = ? and e.occurred_at >= ? and e.occurred_at < ?
            """.formatted(PriceList.COST_OF_EVENT);

    private static final String RECOMPUTE_HOURS = """
            update usage_hourly h set cost_usd = s.cost, unpriced_requests = s.unpriced
            from (select tenant_id, date_trunc('hour', occurred_at, 'UTC') as hour, provider,
                         coalesce(model, '') as model, coalesce(user_id, '') as user_id,
                         coalesce(sum(cost_usd), 0) as cost,
                         count(*) filter (where cost_usd is null and input_tokens + output_tokens > 0) as unpriced
                  from usage_event
                  where tenant_id = ? and occurred_at >= ? and occurred_at < ?
                  group by 1, 2, 3, 4, 5) s
            where h.tenant_id = s.tenant_id and h.hour = s.hour and h.provider = s.provider and h.model = s.model
              and h.user_id = s.user_id
            """;

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

    private static final String TOTALS = """
            select coalesce(sum(cost_usd), 0) as cost, coalesce(sum(unpriced_requests), 0) as unpriced
            from usage_hourly where tenant_id = ? and hour >= ? and hour < ?
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
        jdbc.execute("lock table usage_hourly, usage_rollup_hourly in share row exclusive mode");
        Object[] range = {tenantId, UsageLedger.utc(start), UsageLedger.utc(end)};
        Totals before = totals(range);
        int events = jdbc.update(RERATE_EVENTS, range);
        jdbc.update(RECOMPUTE_HOURS, range);
        jdbc.update(RECOMPUTE_ROLLUP, range);
        Totals after = totals(range);
        return new Result(start, end, events, before.cost(), after.cost(), after.unpriced());
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
