package dev.keygate.proxy.clientauth;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import dev.keygate.contracts.admin.v1.ProxyKeyIssued;
import dev.keygate.contracts.admin.v1.ProxyKeyRevoked;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProxyKeyDirectoryTest {

    private final ProxyKeyDirectory directory = new ProxyKeyDirectory();
    private final UUID keyId = UUID.randomUUID();

    @Test
    void anIssuedKeyAuthenticatesUntilItIsRevoked() {
        directory.apply(issued("a".repeat(64), null));
        assertThat(directory.find("a".repeat(64))).hasValueSatisfying(caller -> {
            assertThat(caller.tenantId()).isEqualTo("acme");
            assertThat(caller.mayUse("openai")).isTrue();
            assertThat(caller.mayUse("anthropic")).isFalse();
        });

        directory.apply(new ProxyKeyRevoked(UUID.randomUUID(), 1, Instant.now(), keyId, "acme", "a".repeat(64)));

        assertThat(directory.find("a".repeat(64))).isEmpty();
    }

    @Test
    void aReissuedKeyWithAnEndInThePastNoLongerAuthenticates() {
        directory.apply(issued("b".repeat(64), null));
        directory.apply(issued("b".repeat(64), Instant.now().minusSeconds(1)));

        assertThat(directory.find("b".repeat(64))).isEmpty();
        assertThat(directory.size()).isEqualTo(1);
    }

    @Test
    void aKeyStillInItsGracePeriodAuthenticates() {
        directory.apply(issued("c".repeat(64), Instant.now().plusSeconds(3600)));

        assertThat(directory.find("c".repeat(64))).isPresent();
    }

    @Test
    void aDeviceKeysCallerCarriesItsLicensesTierAndItsDeviceBinding() {
        UUID license = UUID.randomUUID();
        directory.apply(device(keyId, "d".repeat(64), license, "e".repeat(64), "pro"));

        assertThat(directory.find("d".repeat(64))).hasValueSatisfying(caller -> {
            assertThat(caller.licenseTier()).isEqualTo("pro");
            assertThat(caller.hardwareIdHash()).isEqualTo("e".repeat(64));
            assertThat(caller.userId()).isEqualTo("license:" + license);
        });
    }

    @Test
    void aReannouncedDeviceKeyCarriesTheTierItWasLastAnnouncedWith() {
        UUID license = UUID.randomUUID();
        directory.apply(device(keyId, "f".repeat(64), license, null, "free"));
        directory.apply(device(keyId, "f".repeat(64), license, null, "pro"));

        assertThat(directory.find("f".repeat(64)).map(Caller::licenseTier)).hasValue("pro");
    }

    @Test
    void keysPeopleCreatedAndDeviceKeysAnnouncedBeforeTiersHaveNoTier() {
        directory.apply(issued("1".repeat(64), null));
        directory.apply(device(UUID.randomUUID(), "2".repeat(64), UUID.randomUUID(), null, null));
        // A tier without a license is not a license's key: no tier reaches it, as for tier quota policies.
        directory.apply(new ProxyKeyIssued(UUID.randomUUID(), 1, Instant.now(), UUID.randomUUID(), "acme", "carol",
                "3".repeat(64), "wxyz", List.of(), null, null, null, null, null, "enterprise"));

        for (String hash : List.of("1".repeat(64), "2".repeat(64), "3".repeat(64))) {
            assertThat(directory.find(hash)).hasValueSatisfying(caller -> assertThat(caller.licenseTier()).isNull());
        }
    }

    private static ProxyKeyIssued device(UUID id, String hash, UUID license, String hardwareIdHash, String tier) {
        return new ProxyKeyIssued(UUID.randomUUID(), 1, Instant.now(), id, "acme", "license:" + license, hash,
                "abcd", List.of(), null, license, hardwareIdHash, null, null, tier);
    }

    private ProxyKeyIssued issued(String hash, Instant expiresAt) {
        return new ProxyKeyIssued(UUID.randomUUID(), 1, Instant.now(), keyId, "acme", "alice", hash, "abcd",
                List.of("openai"), expiresAt, null, null, null, null, null);
    }
}
