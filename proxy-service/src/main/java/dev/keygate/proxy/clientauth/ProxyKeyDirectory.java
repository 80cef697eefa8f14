package dev.keygate.proxy.clientauth;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.keygate.contracts.admin.v1.ProxyKeyEvent;
import dev.keygate.contracts.admin.v1.ProxyKeyIssued;
import dev.keygate.contracts.admin.v1.ProxyKeyRevoked;
import org.springframework.stereotype.Component;

/**
 * The proxy's in-memory view of every live proxy key, by SHA-256 of the key, built from admin-service's events.
 * Lookups never leave the process, so authenticating a {@code px_} key costs a hash and a map read.
 */
@Component
public class ProxyKeyDirectory {

    private final Map<String, ProxyKeyIssued> byHash = new ConcurrentHashMap<>();
    private final Map<String, String> hashByKeyId = new ConcurrentHashMap<>();
    private final Clock clock = Clock.systemUTC();

    /** Applies one admin event; events are idempotent, so redelivery is harmless. */
    public void apply(ProxyKeyEvent event) {
        // ProxyKeyEvent is sealed to these two facts (Java 17 has no pattern switch to say so).
        if (event instanceof ProxyKeyIssued issued) {
            String previous = hashByKeyId.put(issued.keyId().toString(), issued.keyHash());
            if (previous != null && !previous.equals(issued.keyHash())) {
                byHash.remove(previous);
            }
            byHash.put(issued.keyHash(), issued);
        }
        else if (event instanceof ProxyKeyRevoked revoked) {
            byHash.remove(revoked.keyHash());
            hashByKeyId.remove(revoked.keyId().toString());
        }
    }

    Optional<Caller> find(String keyHash) {
        ProxyKeyIssued key = byHash.get(keyHash);
        if (key == null || (key.expiresAt() != null && !key.expiresAt().isAfter(clock.instant()))) {
            return Optional.empty();
        }
        // Only a license's key has a tier, as for tier quota policies (RateLimiter): a key people created has none.
        String tier = key.licenseId() == null ? null : key.licenseTier();
        return Optional.of(new Caller(key.tenantId(), key.userId(), Caller.Kind.PROXY_KEY, key.keyId().toString(),
                Set.copyOf(key.providers()), key.hardwareIdHash(), tier));
    }

    /** The live key with this id as admin-service issued it (its limits and model scope), if any. */
    public Optional<ProxyKeyIssued> issued(String keyId) {
        String hash = hashByKeyId.get(keyId);
        return hash == null ? Optional.empty() : Optional.ofNullable(byHash.get(hash));
    }

    public int size() {
        return byHash.size();
    }
}
