package dev.keygate.proxy.keylease;

import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import dev.keygate.contracts.keyvault.v1.ResolvedKey;
import reactor.core.publisher.Mono;

/**
 * Resolved provider keys held in memory for a short time per tenant, user and provider, so keyvault is asked once
 * per TTL instead of on every call. Concurrent misses share one keyvault call; failures are never cached. An entry
 * is dropped when it expires (by a periodic sweep, so an idle key does not linger), when the provider rejects the
 * key, or when admin-service announces a change for the tenant or to the stored key itself. Java strings cannot be wiped, so a dropped key is
 * left to the garbage collector; nothing here prints a key ({@link ResolvedKey#toString()} masks it).
 */
final class KeyLeaseCache {

    private final ConcurrentHashMap<LeaseKey, Lease> leases = new ConcurrentHashMap<>();
    private final Duration ttl;
    private final int maxEntries;
    private final Clock clock;

    KeyLeaseCache(Duration ttl, int maxEntries, Clock clock) {
        this.ttl = ttl;
        this.maxEntries = maxEntries;
        this.clock = clock;
    }

    Mono<ResolvedKey> get(String tenantId, String userId, String provider, Supplier<Mono<ResolvedKey>> fetch) {
        if (ttl.isZero() || ttl.isNegative() || maxEntries == 0) {
            return fetch.get();
        }
        LeaseKey key = new LeaseKey(tenantId, userId, provider);
        long now = clock.millis();
        Lease current = leases.get(key);
        if (current != null && current.freshAt(now)) {
            return current.value;
        }
        if (current == null && leases.size() >= maxEntries) {
            return fetch.get();
        }
        Lease created = new Lease(now + ttl.toMillis());
        created.value = Mono.defer(fetch)
                .doOnNext(resolved -> created.secretId = resolved.secretId())
                .doOnError(error -> leases.remove(key, created))
                .cache(resolved -> ttl, error -> Duration.ZERO, () -> Duration.ZERO);
        Lease winner = leases.compute(key, (k, old) -> old != null && old.freshAt(now) ? old : created);
        return winner.value;
    }

    /** Drops every key leased from this stored secret (the provider answered 401 to it). */
    void evictSecret(UUID secretId) {
        leases.values().removeIf(lease -> secretId.equals(lease.secretId));
    }

    /** Drops every key of one tenant (admin announced a change there). */
    void evictTenant(String tenantId) {
        leases.keySet().removeIf(key -> key.tenantId().equals(tenantId));
    }

    /** Drops one user's key for one provider (admin announced that the user stored, replaced or deleted it). */
    void evictUser(String tenantId, String userId, String provider) {
        leases.remove(new LeaseKey(tenantId, userId, provider));
    }

    /**
     * Drops every user's key for one provider of a tenant (the organisation key changed): users without a key of their
     * own were served the organisation key, and which ones were is not worth tracking for so rare an event.
     */
    void evictProvider(String tenantId, String provider) {
        leases.keySet().removeIf(key -> key.tenantId().equals(tenantId) && key.provider().equals(provider));
    }

    /** Drops expired entries; runs off the request path. */
    void sweep() {
        long now = clock.millis();
        leases.values().removeIf(lease -> !lease.freshAt(now));
    }

    int size() {
        return leases.size();
    }

    private record LeaseKey(String tenantId, String userId, String provider) {
    }

    private static final class Lease {

        private final long expiresAt;
        private volatile Mono<ResolvedKey> value;
        private volatile UUID secretId;

        Lease(long expiresAt) {
            this.expiresAt = expiresAt;
        }

        boolean freshAt(long now) {
            return now < expiresAt;
        }

        @Override
        public String toString() {
            return "Lease[secretId=" + secretId + ", key=***]";
        }
    }
}
