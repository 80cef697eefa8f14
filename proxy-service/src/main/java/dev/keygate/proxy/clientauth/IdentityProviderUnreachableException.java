package dev.keygate.proxy.clientauth;

/**
 * A Keycloak access token could not be checked because the realm's signing keys could not be fetched: Keycloak is
 * unreachable and this token names a key the proxy does not hold yet. Not the caller's fault, so a 503, not a 401.
 */
public class IdentityProviderUnreachableException extends CallerRejectedException {

    public IdentityProviderUnreachableException() {
        super("Keycloak could not be reached to fetch the keys that verify access tokens, so this token cannot be "
                + "checked now; try again in a few seconds. Proxy keys (px_...) are not affected.");
    }
}
