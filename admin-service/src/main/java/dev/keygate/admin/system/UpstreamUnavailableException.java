package dev.keygate.admin.system;

/** A service admin-service depends on (keyvault, Keycloak) did not answer. */
public class UpstreamUnavailableException extends RuntimeException {

    public UpstreamUnavailableException(String message) {
        super(message);
    }

    public UpstreamUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
