package dev.keygate.proxy.clientauth;

import java.util.Set;

/**
 * Who is calling through the proxy, once authenticated: a proxy key's owner or a Keycloak-signed-in user.
 *
 * @param proxyKeyId the proxy key used, {@code null} for a token caller
 * @param allowedProviders providers this caller may use; empty means all
 */
public record Caller(String tenantId, String userId, Kind kind, String proxyKeyId, Set<String> allowedProviders) {

    public enum Kind {
        PROXY_KEY("proxy_key"), USER_TOKEN("user_token");

        private final String wireName;

        Kind(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    public boolean mayUse(String provider) {
        return allowedProviders.isEmpty() || allowedProviders.contains(provider);
    }
}
