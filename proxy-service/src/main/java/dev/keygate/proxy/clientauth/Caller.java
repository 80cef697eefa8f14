package dev.keygate.proxy.clientauth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Set;

/**
 * Who is calling through the proxy, once authenticated: a proxy key's owner or a Keycloak-signed-in user.
 *
 * @param proxyKeyId the proxy key used, {@code null} for a token caller
 * @param allowedProviders providers this caller may use; empty means all
 * @param hardwareIdHash lower-case hex SHA-256 of the hardware id a device-bound proxy key was activated on
 *                       (seed 001), {@code null} when the key is not bound to a device
 * @param licenseTier the tier of the license whose device key is calling ({@code free}, {@code pro}, ...), as
 *                    admin-service last announced the key; {@code null} for keys people created, keys announced
 *                    before tiers travelled, and signed-in users
 */
public record Caller(String tenantId, String userId, Kind kind, String proxyKeyId, Set<String> allowedProviders,
                     String hardwareIdHash, String licenseTier) {

    /** A caller whose key is not bound to a device. */
    public Caller(String tenantId, String userId, Kind kind, String proxyKeyId, Set<String> allowedProviders) {
        this(tenantId, userId, kind, proxyKeyId, allowedProviders, null, null);
    }

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

    /**
     * Whether a call presenting this hardware id (may be {@code null}) may use the key: always for a key bound to
     * no device, else only with the very hardware id the device was activated with.
     */
    public boolean acceptsDevice(String hardwareId) {
        if (hardwareIdHash == null) {
            return true;
        }
        if (hardwareId == null || hardwareId.isEmpty()) {
            return false;
        }
        return MessageDigest.isEqual(CallerAuthenticator.sha256(hardwareId).getBytes(StandardCharsets.US_ASCII),
                hardwareIdHash.getBytes(StandardCharsets.US_ASCII));
    }
}
