package dev.keygate.admin.license;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import dev.keygate.admin.system.InvalidRequestException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Activation v2 against a Java client that follows docs/activation.md; Python and Node clients run in the IT. */
class SealedActivationCipherTest {

    private static final String PROXY_KEY = "px_Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg";
    private static final String HARDWARE_ID = "hw-123";
    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final Base64.Decoder B64D = Base64.getDecoder();

    @Test
    void x25519ClientOpensItsProxyKey() throws Exception {
        KeyPair device = KeyPairGenerator.getInstance("X25519").generateKeyPair();

        SealedActivationCipher.Sealed sealed = seal(device, HARDWARE_ID);

        assertThat(sealed.algorithm()).isEqualTo("x25519-hkdf-sha256-aes256gcm");
        assertThat(open(device, sealed, HARDWARE_ID, "XDH", "XDH")).isEqualTo(PROXY_KEY);
    }

    @Test
    void p256ClientOpensItsProxyKey() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair device = generator.generateKeyPair();

        SealedActivationCipher.Sealed sealed = seal(device, HARDWARE_ID);

        assertThat(sealed.algorithm()).isEqualTo("p256-hkdf-sha256-aes256gcm");
        assertThat(open(device, sealed, HARDWARE_ID, "EC", "ECDH")).isEqualTo(PROXY_KEY);
    }

    @Test
    void sealedKeyOpensOnlyForTheHardwareIdItWasIssuedTo() throws Exception {
        KeyPair device = KeyPairGenerator.getInstance("X25519").generateKeyPair();

        SealedActivationCipher.Sealed sealed = seal(device, HARDWARE_ID);

        assertThatThrownBy(() -> open(device, sealed, "hw-124", "XDH", "XDH")).isInstanceOf(AEADBadTagException.class);
    }

    @Test
    void aFlippedBitIsDetectedNotDecryptedIntoAnotherKey() throws Exception {
        KeyPair device = KeyPairGenerator.getInstance("X25519").generateKeyPair();
        SealedActivationCipher.Sealed sealed = seal(device, HARDWARE_ID);
        byte[] ciphertext = B64D.decode(sealed.sealedKey());
        ciphertext[5] ^= 0x01;
        SealedActivationCipher.Sealed tampered = new SealedActivationCipher.Sealed(sealed.algorithm(),
                sealed.serverPublicKey(), sealed.nonce(), B64.encodeToString(ciphertext));

        assertThatThrownBy(() -> open(device, tampered, HARDWARE_ID, "XDH", "XDH"))
                .isInstanceOf(AEADBadTagException.class);
    }

    @Test
    void anotherDeviceCannotOpenIt() throws Exception {
        KeyPair device = KeyPairGenerator.getInstance("X25519").generateKeyPair();
        KeyPair eavesdropper = KeyPairGenerator.getInstance("X25519").generateKeyPair();

        SealedActivationCipher.Sealed sealed = seal(device, HARDWARE_ID);

        assertThatThrownBy(() -> open(eavesdropper, sealed, HARDWARE_ID, "XDH", "XDH"))
                .isInstanceOf(AEADBadTagException.class);
    }

    @Test
    void everyActivationUsesAFreshServerKeyAndNonce() throws Exception {
        KeyPair device = KeyPairGenerator.getInstance("X25519").generateKeyPair();

        SealedActivationCipher.Sealed first = seal(device, HARDWARE_ID);
        SealedActivationCipher.Sealed second = seal(device, HARDWARE_ID);

        assertThat(first.serverPublicKey()).isNotEqualTo(second.serverPublicKey());
        assertThat(first.nonce()).isNotEqualTo(second.nonce());
    }

    @Test
    void refusesKeysItCannotAgreeWith() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        KeyPairGenerator p384 = KeyPairGenerator.getInstance("EC");
        p384.initialize(new ECGenParameterSpec("secp384r1"));
        KeyPairGenerator p256 = KeyPairGenerator.getInstance("EC");
        p256.initialize(new ECGenParameterSpec("secp256r1"));
        byte[] offCurve = p256.generateKeyPair().getPublic().getEncoded();
        offCurve[offCurve.length - 1] ^= 0x01;
        // X25519 SubjectPublicKeyInfo whose point is 0: a low-order point that makes the shared secret all zeros.
        byte[] lowOrder = HexFormat.of().parseHex("302a300506032b656e032100" + "00".repeat(32));

        for (String refused : new String[] {null, "", "not base64!", B64.encodeToString(new byte[] {1, 2, 3}),
                B64.encodeToString(rsa.generateKeyPair().getPublic().getEncoded()),
                B64.encodeToString(KeyPairGenerator.getInstance("X448").generateKeyPair().getPublic().getEncoded()),
                B64.encodeToString(p384.generateKeyPair().getPublic().getEncoded()),
                B64.encodeToString(offCurve), B64.encodeToString(lowOrder)}) {
            assertThatThrownBy(() -> SealedActivationCipher.clientKey(refused))
                    .as("public_key %s", refused)
                    .isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("X25519 or P-256");
        }
    }

    @Test
    void hkdfMatchesRfc5869TestCase1() throws Exception {
        HexFormat hex = HexFormat.of();

        byte[] okm = SealedActivationCipher.hkdfSha256(hex.parseHex("0b".repeat(22)),
                hex.parseHex("000102030405060708090a0b0c"), hex.parseHex("f0f1f2f3f4f5f6f7f8f9"), 42);

        assertThat(hex.formatHex(okm)).isEqualTo("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                + "34007208d5b887185865");
    }

    private static SealedActivationCipher.Sealed seal(KeyPair device, String hardwareId) {
        SealedActivationCipher.ClientKey client = SealedActivationCipher.clientKey(
                B64.encodeToString(device.getPublic().getEncoded()));
        return SealedActivationCipher.seal(client, hardwareId, PROXY_KEY);
    }

    /** The client side as docs/activation.md specifies it. */
    private static String open(KeyPair device, SealedActivationCipher.Sealed sealed, String hardwareId,
                               String keyFactory, String agreementName) throws Exception {
        byte[] serverSpki = B64D.decode(sealed.serverPublicKey());
        PublicKey server = KeyFactory.getInstance(keyFactory).generatePublic(new X509EncodedKeySpec(serverSpki));
        KeyAgreement agreement = KeyAgreement.getInstance(agreementName);
        agreement.init(device.getPrivate());
        agreement.doPhase(server, true);
        byte[] clientSpki = device.getPublic().getEncoded();
        byte[] salt = new byte[clientSpki.length + serverSpki.length];
        System.arraycopy(clientSpki, 0, salt, 0, clientSpki.length);
        System.arraycopy(serverSpki, 0, salt, clientSpki.length, serverSpki.length);
        byte[] key = SealedActivationCipher.hkdfSha256(agreement.generateSecret(), salt,
                "keygate activation v2".getBytes(StandardCharsets.UTF_8), 32);
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
                new GCMParameterSpec(128, B64D.decode(sealed.nonce())));
        cipher.updateAAD(hardwareId.getBytes(StandardCharsets.UTF_8));
        return new String(cipher.doFinal(B64D.decode(sealed.sealedKey())), StandardCharsets.UTF_8);
    }
}
