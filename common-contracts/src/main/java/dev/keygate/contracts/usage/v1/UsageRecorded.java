package dev.keygate.contracts.usage.v1;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One proxied call, as the proxy saw it: who called, which provider and model, what it cost in tokens and how
 * long it took. Emitted once per call (wire type {@code usage.recorded}, version 1); consumers count each
 * {@code eventId} exactly once. Never carries prompts, completions or key material.
 *
 * @param callerType {@code proxy_key} or {@code user_token}
 * @param proxyKeyId the proxy key used, or {@code null} for a Keycloak-authenticated caller
 * @param status the HTTP status the client received
 * @param firstByteMs time from receiving the request to the first response byte, {@code null} if none was sent
 * @param budgetGrants the budget shares ({@link BudgetShareGranted#grantId()}) the proxy reserved this call's
 *                     worst case against, one per hard budget of the caller; {@code null} or empty when none applied
 * @param tier the license tier of the caller ({@code free}, {@code pro}, {@code enterprise}) when it called with a
 *             device key of a license; {@code null} for keys people created and signed-in users, and absent in events
 *             written before the field existed
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UsageRecorded(
        UUID eventId,
        String type,
        int version,
        Instant occurredAt,
        String region,
        String tenantId,
        String userId,
        String callerType,
        String proxyKeyId,
        String provider,
        String model,
        String operation,
        boolean streamed,
        int status,
        TokenUsage usage,
        long latencyMs,
        Long firstByteMs,
        String traceId,
        List<UUID> budgetGrants,
        String tier) {

    public static final String TYPE = "usage.recorded";
    public static final int VERSION = 1;

    public UsageRecorded {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(occurredAt, "occurredAt");
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(provider, "provider");
        type = type == null ? TYPE : type;
        version = version == 0 ? VERSION : version;
        usage = usage == null ? TokenUsage.NONE : usage;
        budgetGrants = budgetGrants == null || budgetGrants.isEmpty() ? null : List.copyOf(budgetGrants);
        // Blank is no tier: the ledger stores "no tier" as '' in its aggregates, so a blank one could not be told apart.
        tier = tier == null || tier.isBlank() ? null : tier;
    }

    /** A call of a caller without a license tier. */
    public UsageRecorded(UUID eventId, String type, int version, Instant occurredAt, String region, String tenantId,
                         String userId, String callerType, String proxyKeyId, String provider, String model,
                         String operation, boolean streamed, int status, TokenUsage usage, long latencyMs,
                         Long firstByteMs, String traceId, List<UUID> budgetGrants) {
        this(eventId, type, version, occurredAt, region, tenantId, userId, callerType, proxyKeyId, provider, model,
                operation, streamed, status, usage, latencyMs, firstByteMs, traceId, budgetGrants, null);
    }

    /** A call of a caller without a license tier that reserved against no budget share. */
    public UsageRecorded(UUID eventId, String type, int version, Instant occurredAt, String region, String tenantId,
                         String userId, String callerType, String proxyKeyId, String provider, String model,
                         String operation, boolean streamed, int status, TokenUsage usage, long latencyMs,
                         Long firstByteMs, String traceId) {
        this(eventId, type, version, occurredAt, region, tenantId, userId, callerType, proxyKeyId, provider, model,
                operation, streamed, status, usage, latencyMs, firstByteMs, traceId, null, null);
    }

    /** The Kafka record key: usage of one subject stays ordered on one partition. */
    public String subjectKey() {
        return tenantId + "/" + (userId == null ? "-" : userId);
    }
}
