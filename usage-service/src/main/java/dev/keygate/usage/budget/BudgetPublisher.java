package dev.keygate.usage.budget;

import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.usage.v1.BudgetState;
import dev.keygate.usage.budget.BudgetShareGrants.BudgetKey;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Evaluates every budget against the ledger's spend for the current UTC day and month, once a second, and publishes
 * each budget's state to {@code keygate.usage.budget-state.v1} when it changes (and all of them every
 * {@link #REPUBLISH_EVERY}, so a proxy that missed one catches up). Proxies refuse calls of subjects whose hard budget
 * is exhausted; a soft budget's exhaustion is published and raised to admins ({@link BudgetAlerts}), never refused.
 *
 * <p>Publishing exhaustion alone would let proxies admit calls for a second or more past a budget; proxies therefore
 * also reserve each call's worst case against shares of the budget ({@link BudgetShareGrants}), which bounds the
 * overshoot as docs/quotas.md states.
 */
@Component
class BudgetPublisher {

    static final Duration REPUBLISH_EVERY = Duration.ofMinutes(5);
    private static final Logger log = LoggerFactory.getLogger(BudgetPublisher.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static final String CURRENT_STATES = """
            select l.tenant_id, l.scope, l.subject, l.source, l.period, l.limit_usd, l.limit_tokens, l.hard,
                   spent.spent_usd, spent.spent_tokens
            from budget_limit l
            join %s on p.period = l.period
            %s
            """.formatted(SubjectSpend.CURRENT_PERIODS, SubjectSpend.OF_BUDGET);

    private final JdbcTemplate jdbc;
    private final KafkaTemplate<String, String> kafka;
    private final BudgetAlerts alerts;
    private final Map<String, BudgetState> published = new ConcurrentHashMap<>();
    private final Clock clock;
    private volatile Instant lastFullPublish = Instant.EPOCH;

    BudgetPublisher(JdbcTemplate jdbc, KafkaTemplate<String, String> kafka, MeterRegistry meters, BudgetAlerts alerts) {
        this.jdbc = jdbc;
        this.kafka = kafka;
        this.alerts = alerts;
        this.clock = Clock.systemUTC();
        meters.gauge("keygate.usage.budgets.exhausted", published,
                states -> states.values().stream().filter(BudgetState::exhausted).count());
    }

    @Scheduled(fixedDelayString = "${keygate.usage.budgets.evaluate-every:1s}")
    void evaluate() {
        Instant now = clock.instant();
        LocalDate today = now.atOffset(ZoneOffset.UTC).toLocalDate();
        Instant dayStart = today.atStartOfDay().toInstant(ZoneOffset.UTC);
        Instant monthStart = today.withDayOfMonth(1).atStartOfDay().toInstant(ZoneOffset.UTC);
        boolean everything = Duration.between(lastFullPublish, now).compareTo(REPUBLISH_EVERY) >= 0;
        List<BudgetState> states = jdbc.query(CURRENT_STATES, (row, n) -> state(row, now, dayStart, monthStart),
                dayStart.atOffset(ZoneOffset.UTC), BudgetKey.periodEnd(dayStart, "day").atOffset(ZoneOffset.UTC),
                monthStart.atOffset(ZoneOffset.UTC), BudgetKey.periodEnd(monthStart, "month").atOffset(ZoneOffset.UTC));
        for (BudgetState state : states) {
            BudgetState before = published.get(state.key());
            if (everything || changed(before, state)) {
                publish(state);
            }
            try {
                alerts.observe(state);
            }
            catch (RuntimeException ex) {
                log.warn("Budget alert for {} not raised, retrying next round: {}", state.key(), ex.toString());
            }
        }
        if (everything) {
            lastFullPublish = now;
        }
    }

    private void publish(BudgetState state) {
        kafka.send(Topics.USAGE_BUDGET_STATE, state.key(), JSON.writeValueAsString(state))
                .whenComplete((result, failure) -> {
                    if (failure == null) {
                        published.put(state.key(), state);
                    }
                    else {
                        log.warn("Budget state {} not published, retrying next round: {}", state.key(),
                                failure.getMessage());
                    }
                });
    }

    /** A change worth telling proxies: exhaustion, limits, period, or spend moved by a cent or 1000 tokens. */
    private static boolean changed(BudgetState before, BudgetState now) {
        return before == null || before.exhausted() != now.exhausted() || before.hard() != now.hard()
                || !before.periodStart().equals(now.periodStart())
                || !Objects.equals(before.limitTokens(), now.limitTokens())
                || compare(before.limitUsd(), now.limitUsd()) != 0
                || now.spentUsd().subtract(before.spentUsd()).abs().compareTo(new BigDecimal("0.01")) >= 0
                || Math.abs(now.spentTokens() - before.spentTokens()) >= 1000;
    }

    private static int compare(BigDecimal a, BigDecimal b) {
        return a == null || b == null ? (a == b ? 0 : 1) : a.compareTo(b);
    }

    private static BudgetState state(ResultSet row, Instant now, Instant dayStart, Instant monthStart)
            throws SQLException {
        String period = row.getString("period");
        Instant start = "day".equals(period) ? dayStart : monthStart;
        Instant end = "day".equals(period) ? start.plus(Duration.ofDays(1))
                : start.atOffset(ZoneOffset.UTC).plusMonths(1).toInstant();
        BigDecimal limitUsd = row.getBigDecimal("limit_usd");
        Long limitTokens = row.getObject("limit_tokens", Long.class);
        BigDecimal spentUsd = row.getBigDecimal("spent_usd");
        long spentTokens = row.getLong("spent_tokens");
        boolean exhausted = limitUsd != null && spentUsd.compareTo(limitUsd) >= 0
                || limitTokens != null && spentTokens >= limitTokens;
        String subject = row.getString("subject");
        return new BudgetState(UUID.randomUUID(), null, 0, now, row.getString("tenant_id"), row.getString("scope"),
                BudgetLimits.WHOLE_TENANT.equals(subject) ? null : subject, row.getString("source"), period, start,
                end, limitUsd == null ? null : limitUsd.stripTrailingZeros(), spentUsd.stripTrailingZeros(),
                limitTokens, spentTokens, exhausted, row.getBoolean("hard"));
    }
}
