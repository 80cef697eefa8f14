package dev.keygate.contracts.usage.v1;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * usage-service's answer to a {@link BudgetShareRequested} (wire type {@code budget-share.granted}) on
 * {@code keygate.usage.budget-shares.v1}, keyed by the instance id: a share of a hard budget, in tokens, that the
 * instance may reserve its calls' worst cases against until {@link #expiresAt()}; or, with no tokens, a refusal
 * ({@link #reason()}) because what is left of the budget cannot cover the call.
 *
 * @param requestId the {@link BudgetShareRequested#eventId()} answered
 * @param grantId the share, {@code null} when refused
 * @param tokens the tokens granted; 0 when refused
 * @param remainingTokens what is left of the budget for everyone after this grant, in tokens
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BudgetShareGranted(UUID eventId, String type, int version, Instant occurredAt, String instanceId,
                                 UUID requestId, String budgetKey, Instant periodStart, UUID grantId, long tokens,
                                 long remainingTokens, Instant expiresAt, String reason) {

    public static final String TYPE = "budget-share.granted";
    public static final int VERSION = 1;

    public BudgetShareGranted {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(budgetKey, "budgetKey");
        type = type == null ? TYPE : type;
        version = version == 0 ? VERSION : version;
        if (tokens > 0 && (grantId == null || expiresAt == null)) {
            throw new IllegalArgumentException("a share names its grant id and expiry");
        }
    }

    public boolean granted() {
        return tokens > 0;
    }
}
