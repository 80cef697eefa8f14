package dev.keygate.contracts.usage.v1;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Where one budget stands (wire type {@code budget.state}), published by usage-service from its ledger on the
 * compacted topic {@code keygate.usage.budget-state.v1}, keyed by {@link #key()}: the latest state per budget and
 * period is what every proxy admits calls against. A budget is a cost or token limit of a quota policy, or a proxy
 * key's own monthly budget. A {@code tier} budget counts the spend of every call of that license tier in the tenant
 * together (not each license apart).
 *
 * @param scope {@code tenant}, {@code user}, {@code proxy-key} or {@code tier} (added within v1: a consumer built
 *              before it refuses such a state)
 * @param subject the user id, proxy key id or license tier ({@code free}, {@code pro}, ...); {@code null} for
 *                {@code tenant}
 * @param source the quota policy id, or {@code proxy-key} for a key's own monthly budget
 * @param period {@code day} or {@code month} (UTC); the budget renews at {@code periodEnd}
 * @param limitUsd the cost limit, {@code null} when this budget limits tokens only
 * @param limitTokens the token limit, {@code null} when this budget limits cost only
 * @param exhausted whether spend has reached a limit in this period
 * @param hard whether an exhausted budget refuses calls ({@code false}: it only warns)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BudgetState(UUID eventId, String type, int version, Instant occurredAt, String tenantId, String scope,
                          String subject, String source, String period, Instant periodStart, Instant periodEnd,
                          BigDecimal limitUsd, BigDecimal spentUsd, Long limitTokens, long spentTokens,
                          boolean exhausted, boolean hard) {

    public static final String TYPE = "budget.state";
    public static final int VERSION = 1;
    public static final Set<String> SCOPES = Set.of("tenant", "user", "proxy-key", "tier");
    public static final Set<String> PERIODS = Set.of("day", "month");

    public BudgetState {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(periodStart, "periodStart");
        Objects.requireNonNull(periodEnd, "periodEnd");
        if (!SCOPES.contains(scope)) {
            throw new IllegalArgumentException("unknown budget scope '" + scope + "'");
        }
        if (!PERIODS.contains(period)) {
            throw new IllegalArgumentException("unknown budget period '" + period + "'");
        }
        type = type == null ? TYPE : type;
        version = version == 0 ? VERSION : version;
        spentUsd = spentUsd == null ? BigDecimal.ZERO : spentUsd;
    }

    /** The record key: one latest state per budget and period kind. */
    public String key() {
        return tenantId + "/" + scope + "/" + (subject == null ? "*" : subject) + "/" + source + "/" + period;
    }
}
