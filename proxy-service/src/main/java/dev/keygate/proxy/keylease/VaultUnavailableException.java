package dev.keygate.proxy.keylease;

/** keyvault could not serve the key right now; the call is refused with 503 and may be retried. */
public class VaultUnavailableException extends RuntimeException {

    public VaultUnavailableException(String message) {
        super(message, null, false, false);
    }
}
