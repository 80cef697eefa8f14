package dev.keygate.contracts.keyvault.v1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * The plaintext of a provider key on its single trip from admin-service to keyvault-service (over mTLS).
 * {@link #toString()} never prints it.
 *
 * @param label an optional name shown beside the key, e.g. "team budget key"
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StoreKeyRequest(String key, String label) {

    public StoreKeyRequest(String key) {
        this(key, null);
    }

    @Override
    public String toString() {
        return "StoreKeyRequest[key=***, label=" + label + "]";
    }
}
