package dev.keygate.proxy.keylease;

/** Neither the caller nor their organisation has a key for the provider: the seeds' "API key not configured". */
public class NoProviderKeyException extends RuntimeException {

    private final String provider;

    public NoProviderKeyException(String provider, boolean allRejected) {
        super(allRejected
                ? "API key not configured for provider '" + provider + "': every stored key was rejected by the "
                        + "provider. Store a valid one with PUT /api/v1/me/provider-keys/" + provider + " on admin-service."
                : "API key not configured for provider '" + provider + "'. Store one with PUT /api/v1/me/provider-keys/"
                        + provider + " on admin-service, or ask your platform admin for an organisation key.",
                null, false, false);
        this.provider = provider;
    }

    public String provider() {
        return provider;
    }
}
