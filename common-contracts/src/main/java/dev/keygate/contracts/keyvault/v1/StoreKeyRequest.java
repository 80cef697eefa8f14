package dev.keygate.contracts.keyvault.v1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * The plaintext of a provider key on its single trip from admin-service to keyvault-service (over mTLS).
 * {@link #toString()} never prints it.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StoreKeyRequest(String key) {

    @Override
    public String toString() {
        return "StoreKeyRequest[key=***]";
    }
}
