package dev.keygate.usage.budget;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * Where each budget of a tenant stands in its current period, for analysts: spend against the limit, a linear
 * projection to the end of the period, an alert, and (for monthly budgets) the spend of each day so far, from
 * which the dashboard draws the burn-down. Read from the same spend rows the budgets are enforced with.
 */
@Component
public class BudgetOverview {

    /** Share of a limit at which a budget is flagged before it is spent. */
    static final BigDecimal WARN_AT = new BigDecimal("0.8");

    private static final String BUDGETS = """
            select l.scope, l.subject, l.source, l.period, l.limit_usd, l.limit_tokens, l.hard,
                   coalesce(s.cost_usd, 0) as spent_usd, coalesce(s.tokens, 0) as spent_tokens
            from budget_limit l
            left join budget_spend s on s.tenant_id = l.tenant_id and s.scope = l.scope and s.subject = l.subject
                and s.period = l.period and s.period_start = case when l.period = 'day' then ? else ? end
            where l.tenant_id = ?
            order by l.scope, l.subject, l.period, l.source
            """;

    private static final String DAYS = """
            select scope, subject, period_start, cost_usd, tokens from budget_spend
            where tenant_id = ? and period = 'day' and period_start >= ? and period_start < ?
            order by period_start
            """;

    private final JdbcTemplate jdbc;
    private final Clock clock;

    BudgetOverview(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
        this.clock = Clock.systemUTC();
    }

    public List<Budget> of(String tenantId) {
        Instant now = clock.instant();
        LocalDate today = now.atOffset(ZoneOffset.UTC).toLocalDate();
        Instant dayStart = today.atStartOfDay().toInstant(ZoneOffset.UTC);
        Instant monthStart = today.withDayOfMonth(1).atStartOfDay().toInstant(ZoneOffset.UTC);
        Instant monthEnd = today.withDayOfMonth(1).plusMonths(1).atStartOfDay().toInstant(ZoneOffset.UTC);
        Map<String, List<Day>> days = new HashMap<>();
        jdbc.query(DAYS, row -> {
            days.computeIfAbsent(row.getString("scope") + '/' + row.getString("subject"), key -> new ArrayList<>())
                    .add(new Day(row.getObject("period_start", OffsetDateTime.class).toLocalDate(),
                            row.getBigDecimal("cost_usd").stripTrailingZeros(), row.getLong("tokens")));
        }, tenantId, monthStart.atOffset(ZoneOffset.UTC), monthEnd.atOffset(ZoneOffset.UTC));
        return jdbc.query(BUDGETS, (row, n) -> {
            String period = row.getString("period");
            boolean daily = "day".equals(period);
            Instant start = daily ? dayStart : monthStart;
            Instant end = daily ? dayStart.plus(Duration.ofDays(1)) : monthEnd;
            BigDecimal limitUsd = row.getBigDecimal("limit_usd");
            Long limitTokens = row.getObject("limit_tokens", Long.class);
            BigDecimal spentUsd = row.getBigDecimal("spent_usd").stripTrailingZeros();
            long spentTokens = row.getLong("spent_tokens");
            BigDecimal used = max(fraction(spentUsd, limitUsd),
                    limitTokens == null ? null : fraction(BigDecimal.valueOf(spentTokens), BigDecimal.valueOf(limitTokens)));
            // The whole period over the part elapsed: spend so far at the same pace until its end.
            BigDecimal pace = BigDecimal.valueOf(Duration.between(start, end).toSeconds())
                    .divide(BigDecimal.valueOf(Math.max(60, Duration.between(start, now).toSeconds())), 6,
                            RoundingMode.HALF_UP);
            BigDecimal projected = used == null ? null : used.multiply(pace).setScale(4, RoundingMode.HALF_UP);
            String alert = used == null ? null : used.compareTo(BigDecimal.ONE) >= 0 ? "exhausted"
                    : projected.compareTo(BigDecimal.ONE) > 0 ? "projected to run out before the period ends"
                    : used.compareTo(WARN_AT) >= 0 ? "80% used" : null;
            String subject = row.getString("subject");
            return new Budget(row.getString("scope"), BudgetLimits.WHOLE_TENANT.equals(subject) ? null : subject,
                    row.getString("source"), period, start, end, row.getBoolean("hard"),
                    limitUsd == null ? null : limitUsd.stripTrailingZeros(), limitTokens, spentUsd, spentTokens,
                    used == null ? null : used.setScale(4, RoundingMode.HALF_UP), projected, alert,
                    daily ? List.of() : days.getOrDefault(row.getString("scope") + '/' + subject, List.of()));
        }, dayStart.atOffset(ZoneOffset.UTC), monthStart.atOffset(ZoneOffset.UTC), tenantId);
    }

    private static BigDecimal fraction(BigDecimal spent, BigDecimal limit) {
        return limit == null || limit.signum() <= 0 ? null : spent.divide(limit, 6, RoundingMode.HALF_UP);
    }

    private static BigDecimal max(BigDecimal a, BigDecimal b) {
        return a == null ? b : b == null ? a : a.max(b);
    }

    /**
     * One budget in its current period.
     *
     * @param used spend over the limit (the tighter of cost and tokens), 1 or more when spent
     * @param projected {@code used} at the end of the period if spending goes on at the pace so far
     * @param days for a monthly budget, each day's spend so far this month
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Budget(String scope, String subject, String source, String period, Instant periodStart,
                         Instant periodEnd, boolean hard, BigDecimal limitUsd, Long limitTokens, BigDecimal spentUsd,
                         long spentTokens, BigDecimal used, BigDecimal projected, String alert, List<Day> days) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Day(LocalDate day, BigDecimal costUsd, long tokens) {
    }
}
