package dev.keygate.keyvault.storedkey;

/** No key serves this caller for this provider: the proxy turns it into the seeds' "API key not configured". */
public class KeyNotConfiguredException extends RuntimeException {

    private final boolean allRejected;

    public KeyNotConfiguredException(String provider, boolean allRejected) {
        super(allRejected
                ? "Every API key stored for provider '" + provider + "' was rejected by the provider; store a valid one"
                : "No API key is configured for provider '" + provider + "' for this user or their organisation");
        this.allRejected = allRejected;
    }

    /** Keys exist, but the provider rejected every one of them. */
    public boolean allRejected() {
        return allRejected;
    }
}
