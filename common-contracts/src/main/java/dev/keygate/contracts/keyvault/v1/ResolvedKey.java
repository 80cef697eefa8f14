package dev.keygate.contracts.keyvault.v1;

import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * The decrypted key the proxy injects upstream, and which stored secret it came from. Only the proxy's identity
 * receives this; {@link #toString()} never prints the key.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ResolvedKey(UUID secretId, String provider, OwnerType ownerType, String key) {

    @Override
    public String toString() {
        return "ResolvedKey[secretId=" + secretId + ", provider=" + provider + ", ownerType=" + ownerType + ", key=***]";
    }
}
