package dev.keygate.contracts.admin.v1;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A stored provider key was stored, replaced or deleted (wire type {@code provider-key.changed}), relayed from
 * admin-service's outbox and keyed by {@link #key(String, String, String)}. Tells proxies to drop the key they
 * cached for that owner and provider. Carries no key material at all: no key, hash, fingerprint or hint.
 *
 * @param userId the user whose own key changed; {@code null} for the tenant's organisation key, which serves every
 *               user of the tenant who has no key of their own for the provider
 * @param provider the provider id, e.g. {@code openai}
 * @param action {@code stored} (a new or replacing key) or {@code deleted}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProviderKeyChanged(UUID eventId, String type, int version, Instant occurredAt, String tenantId,
                                 String userId, String provider, String action) {

    public static final String TYPE = "provider-key.changed";
    public static final int VERSION = 1;
    public static final String STORED = "stored";
    public static final String DELETED = "deleted";
    public static final Set<String> ACTIONS = Set.of(STORED, DELETED);
    /** Stands for the user in the record key of an organisation key's events. */
    public static final String ORGANISATION = "*";

    public ProviderKeyChanged {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(occurredAt, "occurredAt");
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(action, "action");
        if (!ACTIONS.contains(action)) {
            throw new IllegalArgumentException("unknown provider-key action '" + action + "'");
        }
        type = type == null ? TYPE : type;
        version = version == 0 ? VERSION : version;
    }

    /**
     * The Kafka record key, {@code tenant/user/provider} with {@code *} for the user of an organisation key: the
     * compacted topic keeps the last change per stored key.
     */
    public static String key(String tenantId, String userId, String provider) {
        return tenantId + "/" + (userId == null ? ORGANISATION : userId) + "/" + provider;
    }
}
