package dev.keygate.keyvault.envelope;

/** A stored secret could not be opened: its master key is retired or missing, or the ciphertext was tampered with. */
public class SecretUnavailableException extends RuntimeException {

    public SecretUnavailableException(String message) {
        super(message);
    }

    public SecretUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
