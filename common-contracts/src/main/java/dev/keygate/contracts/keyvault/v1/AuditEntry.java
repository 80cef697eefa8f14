package dev.keygate.contracts.keyvault.v1;

import java.time.Instant;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * One thing keyvault did or refused: a store, delete, decrypt, check, rotation step or refusal. Never key material.
 *
 * @param caller the certificate identity that asked, e.g. {@code spiffe://keygate/proxy-service}
 * @param outcome {@code ok}, {@code refused}, {@code no-key}, {@code failed}, …
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AuditEntry(long id, Instant occurredAt, String action, String outcome, String caller, UUID secretId,
                         String tenantId, String ownerId, String provider, String traceId, String detail) {
}
