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

    private ProxyKeyIssued issued(String hash, Instant expiresAt) {
        return new ProxyKeyIssued(UUID.randomUUID(), 1, Instant.now(), keyId, "acme", "alice", hash, "abcd",
                List.of("openai"), expiresAt, null, null, null, null, null);
    }
}
