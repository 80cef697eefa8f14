package dev.keygate.admin.proxykey;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import dev.keygate.admin.system.Caller;
import dev.keygate.contracts.admin.v1.ProxyKeyLimits;
import org.springframework.stereotype.Component;

/**
 * Issues and revokes proxy keys for owners that are not people, such as a license's activated devices
 * ({@code license:<id>}). The keys are exactly a person's keys: {@code px_} + 256 random bits, stored as SHA-256,
 * announced through the outbox in the caller's transaction.
 */
@Component
public class ProxyKeyIssuer {

    private final ProxyKeys keys;

    ProxyKeyIssuer(ProxyKeys keys) {
        this.keys = keys;
    }

    /**
     * A new key bound to one device; {@code ProxyKeyIssued} carries {@code licenseId}, {@code hardwareIdHash} and
     * {@code licenseTier}.
     *
     * @param providers providers the key may call, validated by the caller; empty means all
     * @param expiresAt when the key stops working, {@code null} for never
     * @param requestsPerDay the license's daily limit, counted by the proxy over all its devices; {@code null} for none
     * @param licenseTier the license's tier ({@code free}, {@code pro}, ...): kept with the key and announced on every
     *                    {@code ProxyKeyIssued} of it, so proxies apply the tier's quota policies per license
     */
    public IssuedProxyKey issueForDevice(String tenantId, String ownerId, String name, List<String> providers,
                                         Instant expiresAt, UUID licenseId, String hardwareIdHash,
                                         Integer requestsPerDay, String licenseTier) {
        ProxyKeyScope scope = new ProxyKeyScope(providers, List.of(),
                new ProxyKeyLimits(null, requestsPerDay, null));
        ProxyKeyView issued = keys.issue(tenantId, ownerId, name, scope, expiresAt, licenseId, hardwareIdHash,
                licenseTier);
        return new IssuedProxyKey(issued.id(), issued.key());
    }

    /** Whether proxy key {@code keyId} belongs to {@code tenantId} (revoked or not). */
    public boolean belongsTo(String tenantId, UUID keyId) {
        return keys.belongsTo(tenantId, keyId);
    }

    /** Revokes a key this issuer made for {@code ownerId}; revoking twice is harmless. */
    public void revoke(String tenantId, String ownerId, UUID keyId) {
        keys.revoke(new Caller(ownerId, tenantId, null), keyId);
    }

    /** A freshly issued key: the plaintext exists only here, once. */
    public record IssuedProxyKey(UUID id, String key) {

        @Override
        public String toString() {
            return "IssuedProxyKey[id=" + id + ", key=***]";
        }
    }
}
