package dev.keygate.contracts.keyvault.v1;

import java.time.Instant;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * What anyone but the proxy may know of a stored key: where it belongs, its last four characters and a fingerprint
 * (a truncated SHA-256, enough to tell two keys apart, useless to recover one), and whether the provider accepts it.
 *
 * @param priority 0 is tried first; higher numbers are fallbacks
 * @param status {@code active}, or {@code rejected} once the provider refused it (the resolver then skips it)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StoredKeyMetadata(UUID secretId, String tenantId, OwnerType ownerType, String ownerId, String provider,
                                String hint, String fingerprint, int masterKeyVersion, Instant createdAt,
                                Instant updatedAt, int priority, String label, String status, String statusReason,
                                Instant checkedAt) {
}
