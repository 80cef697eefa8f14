package dev.keygate.contracts.keyvault.v1;

import java.time.Instant;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * What anyone but the proxy may know of a stored key: where it belongs, its last four characters and a fingerprint
 * (a truncated SHA-256, enough to tell two keys apart, useless to recover one).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StoredKeyMetadata(UUID secretId, String tenantId, OwnerType ownerType, String ownerId, String provider,
                                String hint, String fingerprint, int masterKeyVersion, Instant createdAt,
                                Instant updatedAt) {
}
