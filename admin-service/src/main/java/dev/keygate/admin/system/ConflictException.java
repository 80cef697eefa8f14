package dev.keygate.admin.system;

/** The request clashes with what exists (409); the message names what to do instead. */
public class ConflictException extends RuntimeException {

    public ConflictException(String message) {
        super(message);
    }
}
