package dev.keygate.admin.system;

/** The addressed resource does not exist for the caller's tenant. */
public class NotFoundException extends RuntimeException {

    public NotFoundException(String message) {
        super(message);
    }

    public NotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
