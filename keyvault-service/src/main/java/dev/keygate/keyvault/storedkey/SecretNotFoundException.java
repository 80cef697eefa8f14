package dev.keygate.keyvault.storedkey;

import java.util.UUID;

/** No stored key has this id (for this tenant). */
public class SecretNotFoundException extends RuntimeException {

    public SecretNotFoundException(UUID secretId) {
        super("No stored key " + secretId + " exists here.");
    }
}
