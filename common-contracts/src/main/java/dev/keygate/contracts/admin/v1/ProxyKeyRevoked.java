package dev.keygate.contracts.admin.v1;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** A proxy key was revoked (wire type {@code proxy-key.revoked}); every proxy refuses it from then on. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ProxyKeyRevoked(UUID eventId, int version, Instant occurredAt, UUID keyId, String tenantId,
                              String keyHash) implements ProxyKeyEvent {

    public static final String TYPE = "proxy-key.revoked";

    public ProxyKeyRevoked {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(keyHash, "keyHash");
        version = version == 0 ? VERSION : version;
    }
}
