package dev.keygate.contracts.keyvault.v1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** The proxy asks which key serves {@code userId} of {@code tenantId} for {@code provider}. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ResolveKeyRequest(String tenantId, String userId, String provider) {
}
