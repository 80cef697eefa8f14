package dev.keygate.proxy.keylease;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import dev.keygate.contracts.keyvault.v1.OwnerType;
import dev.keygate.contracts.keyvault.v1.ResolvedKey;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

class KeyLeaseCacheTest {

    private final HandClock clock = new HandClock();
    private final KeyLeaseCache cache = new KeyLeaseCache(Duration.ofSeconds(60), 100, clock);
    private final AtomicInteger fetches = new AtomicInteger();
    private final UUID secret = UUID.randomUUID();

    @Test
    void reusesAResolvedKeyUntilItsTtlEnds() {
        assertThat(resolve("acme", "alice").key()).isEqualTo("sk-1");
        clock.advance(Duration.ofSeconds(59));
        assertThat(resolve("acme", "alice").key()).isEqualTo("sk-1");
        assertThat(fetches).hasValue(1);

        clock.advance(Duration.ofSeconds(1));

        assertThat(resolve("acme", "alice").key()).isEqualTo("sk-2");
        assertThat(fetches).hasValue(2);
    }

    @Test
    void keepsKeysApartPerTenantUserAndProvider() {
        resolve("acme", "alice");
        resolve("acme", "bob");
        resolve("other", "alice");
        cache.get("acme", "alice", "anthropic", this::fetch).block();

        assertThat(fetches).hasValue(4);
    }

    @Test
    void concurrentMissesShareOneKeyvaultCall() {
        Sinks.One<ResolvedKey> vault = Sinks.one();
        AtomicInteger calls = new AtomicInteger();
        Mono<ResolvedKey> first = cache.get("acme", "alice", "openai", () -> {
            calls.incrementAndGet();
            return vault.asMono();
        });
        Mono<ResolvedKey> second = cache.get("acme", "alice", "openai", () -> {
            calls.incrementAndGet();
            return vault.asMono();
        });

        StepVerifier.create(Mono.zip(first, second))
                .then(() -> vault.tryEmitValue(new ResolvedKey(secret, "openai", OwnerType.USER, "sk-shared")))
                .assertNext(both -> assertThat(both.getT1()).isSameAs(both.getT2()))
                .verifyComplete();
        assertThat(calls).hasValue(1);
    }

    @Test
    void neverCachesAFailure() {
        StepVerifier.create(cache.get("acme", "alice", "openai",
                () -> Mono.error(new VaultUnavailableException("down")))).verifyError(VaultUnavailableException.class);

        assertThat(resolve("acme", "alice").key()).isEqualTo("sk-1");
    }

    @Test
    void dropsAKeyAtOnceWhenTheProviderRejectedItsSecret() {
        resolve("acme", "alice");

        cache.evictSecret(secret);

        assertThat(resolve("acme", "alice").key()).isEqualTo("sk-2");
    }

    @Test
    void aUsersChangedKeyDropsOnlyThatUsersEntryForThatProvider() {
        resolve("acme", "alice");
        resolve("acme", "bob");
        resolve("other", "alice");
        cache.get("acme", "alice", "anthropic", this::fetch).block();

        cache.evictUser("acme", "alice", "openai");

        assertThat(cache.size()).isEqualTo(3);
        assertThat(resolve("acme", "alice").key()).isEqualTo("sk-5");
        resolve("acme", "bob");
        resolve("other", "alice");
        cache.get("acme", "alice", "anthropic", this::fetch).block();
        assertThat(fetches).hasValue(5);
    }

    @Test
    void aChangedOrganisationKeyDropsEveryUsersEntryForThatTenantAndProvider() {
        resolve("acme", "alice");
        resolve("acme", "bob");
        resolve("other", "alice");
        cache.get("acme", "alice", "anthropic", this::fetch).block();

        cache.evictProvider("acme", "openai");

        assertThat(cache.size()).isEqualTo(2);
        resolve("acme", "alice");
        resolve("acme", "bob");
        resolve("other", "alice");
        cache.get("acme", "alice", "anthropic", this::fetch).block();
        assertThat(fetches).hasValue(6);
    }

    @Test
    void dropsEveryKeyOfATenantWhenAdminAnnouncesAChangeThere() {
        resolve("acme", "alice");
        resolve("other", "alice");

        cache.evictTenant("acme");

        assertThat(cache.size()).isEqualTo(1);
        resolve("acme", "alice");
        resolve("other", "alice");
        assertThat(fetches).hasValue(3);
    }

    @Test
    void sweepingDropsExpiredKeysFromMemory() {
        resolve("acme", "alice");
        clock.advance(Duration.ofSeconds(30));
        resolve("acme", "bob");
        clock.advance(Duration.ofSeconds(31));

        cache.sweep();

        assertThat(cache.size()).isEqualTo(1);
    }

    @Test
    void aZeroTtlTurnsTheCacheOff() {
        KeyLeaseCache off = new KeyLeaseCache(Duration.ZERO, 100, clock);
        off.get("acme", "alice", "openai", this::fetch).block();
        off.get("acme", "alice", "openai", this::fetch).block();

        assertThat(fetches).hasValue(2);
        assertThat(off.size()).isZero();
    }

    @Test
    void neverPrintsTheKey() {
        ResolvedKey resolved = resolve("acme", "alice");

        assertThat(resolved.toString()).doesNotContain("sk-1");
        assertThat(cache.toString()).doesNotContain("sk-1");
    }

    private ResolvedKey resolve(String tenant, String user) {
        return cache.get(tenant, user, "openai", this::fetch).block();
    }

    private Mono<ResolvedKey> fetch() {
        return Mono.fromSupplier(() -> new ResolvedKey(secret, "openai", OwnerType.USER, "sk-" + fetches.incrementAndGet()));
    }

    private static final class HandClock extends Clock {

        private Instant now = Instant.parse("2025-12-23T10:00:00Z");

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
