package dev.keygate.contracts.usage.v1;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A proxy instance asking usage-service for a share of one hard budget (wire type {@code budget-share.requested}),
 * or giving a share back once it expired and its calls ended ({@code budget-share.released}), on
 * {@code keygate.proxy.budget-share-requests.v1}, keyed by {@link #budgetKey()} so one budget's requests stay in
 * order. Shares are counted in tokens: usage-service converts a cost budget with the tenant's dearest price.
 *
 * @param instanceId the asking proxy instance (new at every start)
 * @param budgetKey {@link BudgetState#key()} of the budget
 * @param periodStart the budget period the share is for
 * @param tokens for a request, the tokens wanted (at least the call's worst case); for a release, the tokens the
 *               instance's calls used under the share, as it metered them (an upper bound of what the ledger records)
 * @param grantId for a release, the share given back; {@code null} for a request
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BudgetShareRequested(UUID eventId, String type, int version, Instant occurredAt, String instanceId,
                                   String region, String tenantId, String budgetKey, Instant periodStart, long tokens,
                                   UUID grantId) {

    public static final String REQUESTED = "budget-share.requested";
    public static final String RELEASED = "budget-share.released";
    public static final int VERSION = 1;
    private static final Set<String> TYPES = Set.of(REQUESTED, RELEASED);

    public BudgetShareRequested {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(budgetKey, "budgetKey");
        Objects.requireNonNull(periodStart, "periodStart");
        type = type == null ? REQUESTED : type;
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("unknown budget share message type '" + type + "'");
        }
        if (RELEASED.equals(type) && grantId == null) {
            throw new IllegalArgumentException("a release names the grant it gives back");
        }
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens must not be negative");
        }
        version = version == 0 ? VERSION : version;
    }

    public static BudgetShareRequested request(String instanceId, String region, String tenantId, String budgetKey,
                                               Instant periodStart, long tokens, Instant now) {
        return new BudgetShareRequested(UUID.randomUUID(), REQUESTED, VERSION, now, instanceId, region, tenantId,
                budgetKey, periodStart, tokens, null);
    }

    public static BudgetShareRequested release(String instanceId, String region, String tenantId, String budgetKey,
                                               Instant periodStart, UUID grantId, long usedTokens, Instant now) {
        return new BudgetShareRequested(UUID.randomUUID(), RELEASED, VERSION, now, instanceId, region, tenantId,
                budgetKey, periodStart, usedTokens, grantId);
    }

    public boolean isRelease() {
        return RELEASED.equals(type);
    }
}
