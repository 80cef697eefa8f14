package dev.keygate.keyvault.envelope;

/** A submitted key that cannot be a provider key. The message names what is wrong, never the key. */
public class InvalidPlainKeyException extends IllegalArgumentException {

    public InvalidPlainKeyException(String message) {
        super(message);
    }
}
