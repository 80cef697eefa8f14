package dev.keygate.keyvault.rotation;

/** A retirement that would leave secrets undecryptable; refused with 409. */
public class RotationIncompleteException extends RuntimeException {

    public RotationIncompleteException(String message) {
        super(message);
    }
}
