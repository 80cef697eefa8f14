package dev.keygate.usage.budget;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.keygate.contracts.usage.v1.BudgetState;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;
import tools.jackson.databind.json.JsonMapper;

/**
 * Tells admins when a budget, soft or hard, is 80 % used and when it is spent: once per budget, period and level.
 * Each alert is recorded ({@code budget_alert}; shown on the dashboard and by {@code GET
 * /api/v1/analytics/budgets/alerts}), logged as a warning, counted ({@code keygate.usage.budgets.alerts{level}}) and,
 * when {@code keygate.usage.budgets.alert-webhook} is set, posted there as JSON with a Slack-style {@code text}
 * (best effort: one attempt, 5 s, a failure is logged). A soft budget never refuses a call; this is how it warns.
 */
@Component
public class BudgetAlerts {

    static final BigDecimal WARN_AT = new BigDecimal("0.8");
    private static final Logger log = LoggerFactory.getLogger(BudgetAlerts.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String RAISE = """
            insert into budget_alert (tenant_id, budget_key, period_start, level, scope, subject, source, period, hard,
                                      limit_usd, limit_tokens, spent_usd, spent_tokens, raised_at)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            on conflict do nothing
            """;
    private static final String RECENT = """
            select level, scope, subject, source, period, period_start, hard, limit_usd, limit_tokens, spent_usd,
                   spent_tokens, raised_at
            from budget_alert where tenant_id = ? order by raised_at desc, level limit ?
            """;

    private final JdbcTemplate jdbc;
    private final MeterRegistry meters;
    private final URI webhook;
    private final HttpClient http;
    private final Clock clock;
    /** Alerts known to be raised already, so a budget past 80 % does not cost an insert every evaluation. */
    private final Set<String> raised = ConcurrentHashMap.newKeySet();

    BudgetAlerts(JdbcTemplate jdbc, MeterRegistry meters,
                 @Value("${keygate.usage.budgets.alert-webhook:}") String webhook) {
        this.jdbc = jdbc;
        this.meters = meters;
        this.webhook = webhook == null || webhook.isBlank() ? null : URI.create(webhook.trim());
        this.http = this.webhook == null ? null : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        this.clock = Clock.systemUTC();
    }

    /** Raises the alerts a budget's current state calls for that were not raised yet in its period. */
    void observe(BudgetState state) {
        BigDecimal used = used(state);
        if (used == null || used.compareTo(WARN_AT) < 0) {
            return;
        }
        raise(state, "warning");
        if (state.exhausted()) {
            raise(state, "exhausted");
        }
    }

    /** The tenant's alerts, newest first. */
    public List<Alert> recent(String tenantId, int limit) {
        return jdbc.query(RECENT, (row, n) -> new Alert(row.getString("level"), row.getString("scope"),
                row.getString("subject"), row.getString("source"), row.getString("period"),
                row.getObject("period_start", OffsetDateTime.class).toInstant(), row.getBoolean("hard"),
                strip(row.getBigDecimal("limit_usd")), row.getObject("limit_tokens", Long.class),
                strip(row.getBigDecimal("spent_usd")), row.getLong("spent_tokens"),
                row.getObject("raised_at", OffsetDateTime.class).toInstant()), tenantId, limit);
    }

    private void raise(BudgetState state, String level) {
        String id = state.key() + '@' + state.periodStart() + '/' + level;
        if (raised.contains(id)) {
            return;
        }
        Instant now = clock.instant();
        int inserted = jdbc.update(RAISE, state.tenantId(), state.key(), state.periodStart().atOffset(ZoneOffset.UTC),
                level, state.scope(), state.subject(), state.source(), state.period(), state.hard(), state.limitUsd(),
                state.limitTokens(), state.spentUsd(), state.spentTokens(), now.atOffset(ZoneOffset.UTC));
        raised.add(id);
        if (inserted == 0) {
            return;
        }
        Alert alert = new Alert(level, state.scope(), state.subject(), state.source(), state.period(),
                state.periodStart(), state.hard(), state.limitUsd(), state.limitTokens(), state.spentUsd(),
                state.spentTokens(), now);
        meters.counter("keygate.usage.budgets.alerts", "level", level).increment();
        String text = text(state.tenantId(), alert);
        log.warn("Budget alert: {}", text);
        if (webhook != null) {
            post(text, state.tenantId(), alert);
        }
    }

    private void post(String text, String tenantId, Alert alert) {
        Map<String, Object> body = Map.of("text", text, "tenant_id", tenantId, "alert", alert);
        HttpRequest request = HttpRequest.newBuilder(webhook).timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
        http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
            if (error != null || response.statusCode() / 100 != 2) {
                log.warn("Budget alert not delivered to the webhook at {}: {}", webhook.getHost(),
                        error != null ? error.toString() : "HTTP " + response.statusCode());
            }
        });
    }

    /** The alert in a sentence an admin reads in a chat channel. */
    static String text(String tenantId, Alert alert) {
        String whose = switch (alert.scope()) {
            case "tenant" -> "Organisation " + tenantId;
            case "user" -> "User " + alert.subject() + " of " + tenantId;
            case "tier" -> "License tier " + alert.subject() + " of " + tenantId;
            default -> "Proxy key " + alert.subject() + " of " + tenantId;
        };
        List<String> amounts = new ArrayList<>(2);
        if (alert.limitUsd() != null) {
            amounts.add(alert.spentUsd().setScale(2, RoundingMode.HALF_UP).toPlainString() + " of "
                    + alert.limitUsd().setScale(2, RoundingMode.HALF_UP).toPlainString() + " USD");
        }
        if (alert.limitTokens() != null) {
            amounts.add(alert.spentTokens() + " of " + alert.limitTokens() + " tokens");
        }
        String what = "exhausted".equals(alert.level())
                ? alert.hard() ? "is spent: calls are refused until it renews" : "is spent (soft: calls still go through)"
                : "is 80% used";
        return whose + ": " + (alert.hard() ? "hard" : "soft") + " " + ("day".equals(alert.period()) ? "daily"
                : "monthly") + " budget (" + alert.source() + ") " + what + "; " + String.join(", ", amounts) + ".";
    }

    private static BigDecimal used(BudgetState state) {
        BigDecimal byCost = state.limitUsd() == null || state.limitUsd().signum() <= 0 ? null
                : state.spentUsd().divide(state.limitUsd(), 6, RoundingMode.HALF_UP);
        BigDecimal byTokens = state.limitTokens() == null || state.limitTokens() <= 0 ? null
                : BigDecimal.valueOf(state.spentTokens()).divide(BigDecimal.valueOf(state.limitTokens()), 6,
                        RoundingMode.HALF_UP);
        return byCost == null ? byTokens : byTokens == null ? byCost : byCost.max(byTokens);
    }

    private static BigDecimal strip(BigDecimal value) {
        return value == null ? null : value.stripTrailingZeros();
    }

    /** One alert raised: {@code warning} (80 % used) or {@code exhausted}. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Alert(String level, String scope, String subject, String source, String period, Instant periodStart,
                        boolean hard, BigDecimal limitUsd, Long limitTokens, BigDecimal spentUsd, long spentTokens,
                        Instant raisedAt) {
    }
}
