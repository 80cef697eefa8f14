package dev.keygate.usage.system;

/** The request cannot be served as sent; the message names what to change. */
public class InvalidRequestException extends RuntimeException {

    public InvalidRequestException(String message) {
        super(message);
    }
}
