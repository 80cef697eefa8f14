package dev.keygate.keyvault.envelope;

import java.security.SecureRandom;
import java.util.Map;
import java.util.UUID;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EnvelopeCipherTest {

    private static final SecretKey V1 = randomKey();
    private static final SecretKey V2 = randomKey();
    private static final PlainKey KEY = PlainKey.of("sk-proj-abcdefghijklmnopqrstuvwxyz0123456789");

    private final AssociatedData alice = new AssociatedData("acme", "user", "alice", "openai", UUID.randomUUID(),
            "provider-api-key");

    @Test
    void opensWhatItSealed() {
        EnvelopeCipher cipher = new EnvelopeCipher(new MasterKeyring(Map.of(1, V1), 1, 1));

        SealedSecret sealed = cipher.seal(KEY, alice);

        assertThat(cipher.open(sealed, alice)).isEqualTo(KEY);
        assertThat(sealed.masterKeyVersion()).isEqualTo(1);
        assertThat(sealed.dataNonce()).hasSize(12);
        assertThat(new String(sealed.ciphertext(), java.nio.charset.StandardCharsets.ISO_8859_1))
                .doesNotContain("sk-proj");
    }

    @Test
    void sealsEverySecretWithAFreshDataKeyAndNonce() {
        EnvelopeCipher cipher = new EnvelopeCipher(new MasterKeyring(Map.of(1, V1), 1, 1));

        SealedSecret first = cipher.seal(KEY, alice);
        SealedSecret second = cipher.seal(KEY, alice);

        assertThat(first.ciphertext()).isNotEqualTo(second.ciphertext());
        assertThat(first.dataNonce()).isNotEqualTo(second.dataNonce());
        assertThat(first.wrappedDataKey()).isNotEqualTo(second.wrappedDataKey());
    }

    @Test
    void refusesARowCopiedToAnotherOwnerProviderOrSecret() {
        EnvelopeCipher cipher = new EnvelopeCipher(new MasterKeyring(Map.of(1, V1), 1, 1));
        SealedSecret sealed = cipher.seal(KEY, alice);

        AssociatedData bob = new AssociatedData("acme", "user", "bob", "openai", alice.secretId(), alice.purpose());
        AssociatedData anthropic = new AssociatedData("acme", "user", "alice", "anthropic", alice.secretId(),
                alice.purpose());
        AssociatedData otherId = new AssociatedData("acme", "user", "alice", "openai", UUID.randomUUID(),
                alice.purpose());
        AssociatedData otherTenant = new AssociatedData("globex", "user", "alice", "openai", alice.secretId(),
                alice.purpose());

        for (AssociatedData wrong : new AssociatedData[] {bob, anthropic, otherId, otherTenant}) {
            assertThatThrownBy(() -> cipher.open(sealed, wrong)).isInstanceOf(SecretUnavailableException.class);
        }
    }

    @Test
    void refusesATamperedCiphertext() {
        EnvelopeCipher cipher = new EnvelopeCipher(new MasterKeyring(Map.of(1, V1), 1, 1));
        SealedSecret sealed = cipher.seal(KEY, alice);
        byte[] tampered = sealed.ciphertext().clone();
        tampered[0] ^= 1;

        assertThatThrownBy(() -> cipher.open(new SealedSecret(tampered, sealed.dataNonce(), sealed.wrappedDataKey(),
                sealed.wrapNonce(), 1), alice)).isInstanceOf(SecretUnavailableException.class);
    }

    @Test
    void aNewPrimaryVersionSealsWhileOlderVersionsStillOpen() {
        SealedSecret underV1 = new EnvelopeCipher(new MasterKeyring(Map.of(1, V1), 1, 1)).seal(KEY, alice);
        EnvelopeCipher rotated = new EnvelopeCipher(new MasterKeyring(Map.of(1, V1, 2, V2), 2, 1));

        assertThat(rotated.open(underV1, alice)).isEqualTo(KEY);
        assertThat(rotated.seal(KEY, alice).masterKeyVersion()).isEqualTo(2);
    }

    @Test
    void rewrapMovesADataKeyToThePrimaryVersionKeepingTheCiphertext() {
        SealedSecret underV1 = new EnvelopeCipher(new MasterKeyring(Map.of(1, V1), 1, 1)).seal(KEY, alice);
        EnvelopeCipher rotated = new EnvelopeCipher(new MasterKeyring(Map.of(1, V1, 2, V2), 2, 1));

        SealedSecret rewrapped = rotated.rewrap(underV1, alice);

        assertThat(rewrapped.masterKeyVersion()).isEqualTo(2);
        assertThat(rewrapped.ciphertext()).isEqualTo(underV1.ciphertext());
        EnvelopeCipher retiredV1 = new EnvelopeCipher(new MasterKeyring(Map.of(1, V1, 2, V2), 2, 2));
        assertThat(retiredV1.open(rewrapped, alice)).isEqualTo(KEY);
        assertThatThrownBy(() -> retiredV1.open(underV1, alice)).isInstanceOf(SecretUnavailableException.class);
    }

    @Test
    void aWrappedDataKeyDoesNotOpenUnderAnotherVersionsNumber() {
        SealedSecret underV1 = new EnvelopeCipher(new MasterKeyring(Map.of(1, V1), 1, 1)).seal(KEY, alice);
        EnvelopeCipher sameKeyTwice = new EnvelopeCipher(new MasterKeyring(Map.of(1, V1, 2, V1), 2, 1));

        SealedSecret relabelled = new SealedSecret(underV1.ciphertext(), underV1.dataNonce(),
                underV1.wrappedDataKey(), underV1.wrapNonce(), 2);

        assertThatThrownBy(() -> sameKeyTwice.open(relabelled, alice)).isInstanceOf(SecretUnavailableException.class);
    }

    @Test
    void plainKeyNeverPrintsItselfAndShowsOnlyItsLastFour() {
        assertThat(KEY.toString()).isEqualTo("***");
        assertThat(KEY.hint()).isEqualTo("6789");
        assertThat(KEY.fingerprint()).startsWith("sha256:").hasSize(23);
        assertThatThrownBy(() -> PlainKey.of("sk with spaces")).isInstanceOf(InvalidPlainKeyException.class)
                .hasMessageNotContaining("sk with");
    }

    @Test
    void keyringRejectsAPrimaryItDoesNotHold() {
        assertThatThrownBy(() -> new MasterKeyring(Map.of(1, V1), 2, 1)).hasMessageContaining("primary");
    }

    private static SecretKey randomKey() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return new SecretKeySpec(bytes, "AES");
    }
}
