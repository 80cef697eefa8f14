package dev.keygate.contracts.admin.v1;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A quota policy was created, changed or deleted (wire type {@code quota-policy.changed}), relayed from admin-service's
 * outbox and keyed by policy id: the last event per policy is its current state. The proxy admits calls against the
 * request limits; usage-service enforces the token and cost limits against its ledger. Every limit may be
 * {@code null} (not limited by this policy); where several policies reach one call, each is enforced.
 *
 * @param scope what the policy limits: {@code tenant} (everyone in it together), {@code user} (each named user),
 *              {@code proxy-key} (one key) or {@code tier} (device keys of licenses of that tier: its request limits
 *              count each license apart, its token and cost limits the whole tier's spend in the tenant together)
 * @param subject the user id, proxy key id or tier id; {@code null} for {@code tenant}
 * @param enforcement {@code hard} refuses calls past a limit; {@code soft} lets them through and reports them
 * @param deleted {@code true} once the policy is gone
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record QuotaPolicyChanged(UUID eventId, String type, int version, Instant occurredAt, UUID policyId,
                                 String tenantId, String scope, String subject, Integer requestsPerMinute,
                                 Integer requestsPerDay, Long tokensPerDay, Long tokensPerMonth,
                                 BigDecimal costPerDayUsd, BigDecimal costPerMonthUsd, String enforcement,
                                 boolean deleted) {

    public static final String TYPE = "quota-policy.changed";
    public static final int VERSION = 1;
    public static final Set<String> SCOPES = Set.of("tenant", "user", "proxy-key", "tier");
    public static final Set<String> ENFORCEMENTS = Set.of("hard", "soft");

    public QuotaPolicyChanged {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(policyId, "policyId");
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(scope, "scope");
        if (!SCOPES.contains(scope)) {
            throw new IllegalArgumentException("unknown quota scope '" + scope + "'");
        }
        if (!"tenant".equals(scope) && !deleted) {
            Objects.requireNonNull(subject, "subject");
        }
        type = type == null ? TYPE : type;
        version = version == 0 ? VERSION : version;
        enforcement = enforcement == null ? "hard" : enforcement;
        if (!ENFORCEMENTS.contains(enforcement)) {
            throw new IllegalArgumentException("unknown enforcement '" + enforcement + "'");
        }
    }

    public boolean hard() {
        return "hard".equals(enforcement);
    }
}
