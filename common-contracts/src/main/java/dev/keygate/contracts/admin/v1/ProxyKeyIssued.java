package dev.keygate.contracts.admin.v1;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A proxy key was created (wire type {@code proxy-key.issued}). Carries the key's hash, never the key.
 *
 * @param providers providers the key may call; empty means all
 * @param expiresAt when the key stops working, {@code null} for never
 * @param licenseId the license a device activated to get this key; {@code null} for keys a person created
 * @param hardwareIdHash lower-case hex SHA-256 of the UTF-8 hardware id the key is bound to, {@code null} when the
 *                       key is not bound to a device; a proxy that enforces the binding refuses callers whose
 *                       {@code hardware_id} hashes differently ("Hardware ID not activated for this license")
 * @param models models the key may call (the request's {@code model}); empty means all models of its providers
 * @param limits the key's own limits; {@link ProxyKeyLimits#NONE} when it has none
 * @param licenseTier the tier of the license a device-bound key belongs to ({@code free}, {@code pro},
 *                    {@code enterprise}), so a proxy can apply {@code tier} quota policies per license; {@code null}
 *                    for keys a person created, and absent in events written before the field existed
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProxyKeyIssued(UUID eventId, int version, Instant occurredAt, UUID keyId, String tenantId,
                             String userId, String keyHash, String hint, List<String> providers,
                             Instant expiresAt, UUID licenseId, String hardwareIdHash,
                             List<String> models, ProxyKeyLimits limits, String licenseTier) implements ProxyKeyEvent {

    public static final String TYPE = "proxy-key.issued";

    public ProxyKeyIssued {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(keyHash, "keyHash");
        version = version == 0 ? VERSION : version;
        providers = providers == null ? List.of() : List.copyOf(providers);
        models = models == null ? List.of() : List.copyOf(models);
        limits = limits == null ? ProxyKeyLimits.NONE : limits;
    }
}
