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
                   spent.spent_usd, spent.spent_tokens
            from budget_limit l
            join %s on p.period = l.period
            %s
            where l.tenant_id = ?
            order by l.scope, l.subject, l.period, l.source
            """.formatted(SubjectSpend.CURRENT_PERIODS, SubjectSpend.OF_BUDGET);

    /** Each day's spend this month of every subject with a monthly budget; days without spend are left out. */
    private static final String DAYS = """
            with m(tenant_id, start_at, end_at) as (select ?::text, ?::timestamptz, ?::timestamptz),
            monthly as (select l.scope, l.subject from budget_limit l, m
                        where l.tenant_id = m.tenant_id and l.period = 'month')
            select s.scope, s.subject, s.period_start, s.cost_usd, s.tokens from budget_spend s, m
            where s.tenant_id = m.tenant_id and s.period = 'day' and s.period_start >= m.start_at
              and s.period_start < m.end_at
            union all
            select 'user', d.user_id, d.day, d.cost_usd, d.input_tokens + d.output_tokens from usage_user_daily d, m
            where d.tenant_id = m.tenant_id and d.day >= m.start_at and d.day < m.end_at
              and (d.cost_usd <> 0 or d.input_tokens + d.output_tokens <> 0)
              and exists (select 1 from monthly where scope = 'user' and subject = d.user_id)
            union all
            select 'proxy-key', d.proxy_key_id, d.day, d.cost_usd, d.input_tokens + d.output_tokens
            from usage_key_daily d, m
            where d.tenant_id = m.tenant_id and d.day >= m.start_at and d.day < m.end_at
              and (d.cost_usd <> 0 or d.input_tokens + d.output_tokens <> 0)
              and exists (select 1 from monthly where scope = 'proxy-key' and subject = d.proxy_key_id)
            order by 3
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
        }, dayStart.atOffset(ZoneOffset.UTC), dayStart.plus(Duration.ofDays(1)).atOffset(ZoneOffset.UTC),
                monthStart.atOffset(ZoneOffset.UTC), monthEnd.atOffset(ZoneOffset.UTC), tenantId);
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
