package dev.keygate.admin.license;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The legacy cipher against Java re-implementations of seed 001's two clients, step for step. The clients
 * themselves run against a real server in {@code LicenseActivationIT}.
 */
class LegacyActivationCipherTest {

    private static final String LICENSE = "LIC-0123456789ABCDEFGHJKMNPQRSTV";
    private static final String PROXY_KEY = "px_Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg";

    @Test
    void matchesWhatPythonCryptographyComputesForTheSameKeyAndIv() {
        byte[] iv = new byte[16];
        for (int i = 0; i < iv.length; i++) {
            iv[i] = (byte) i;
        }

        LegacyActivationCipher.Sealed sealed = LegacyActivationCipher.seal(LICENSE, PROXY_KEY,
                LegacyActivationCipher.Padding.SINGLE, iv);

        // /usr/bin/python3: Cipher(AES(b"LIC-0123…"), CBC(bytes(range(16)))) over PKCS7(128)-padded PROXY_KEY.
        assertThat(sealed.encryptedApiKey())
                .isEqualTo("uXYLnXUYyeXVZX9X0HaOaf+4T962lxHipMuaU0PHrjK8yCrBSj2Sw387R1e258mR");
        assertThat(sealed.iv()).isEqualTo("AAECAwQFBgcICQoLDA0ODw==");
    }

    @Test
    void seedPythonClientDecryptsSinglePaddingIntoTheProxyKey() throws Exception {
        LegacyActivationCipher.Sealed sealed = LegacyActivationCipher.seal(LICENSE, PROXY_KEY,
                LegacyActivationCipher.Padding.SINGLE);

        assertThat(pythonClient(sealed, LICENSE)).isEqualTo(PROXY_KEY);
    }

    @Test
    void seedTypeScriptClientDecryptsDoublePaddingIntoTheProxyKey() throws Exception {
        LegacyActivationCipher.Sealed sealed = LegacyActivationCipher.seal(LICENSE, PROXY_KEY,
                LegacyActivationCipher.Padding.DOUBLE);

        assertThat(typeScriptClient(sealed, LICENSE)).isEqualTo(PROXY_KEY);
    }

    @Test
    void noSingleCiphertextServesBothSeedClients() throws Exception {
        LegacyActivationCipher.Sealed single = LegacyActivationCipher.seal(LICENSE, PROXY_KEY,
                LegacyActivationCipher.Padding.SINGLE);
        LegacyActivationCipher.Sealed twice = LegacyActivationCipher.seal(LICENSE, PROXY_KEY,
                LegacyActivationCipher.Padding.DOUBLE);

        // Node strips PKCS#7 itself, then the seed's code strips PROXY_KEY's last character's code point (103) more.
        assertThat(typeScriptClient(single, LICENSE)).isEmpty();
        assertThat(pythonClient(twice, LICENSE)).isEqualTo(PROXY_KEY + "\u0002\u0002");
    }

    @Test
    void keyIsTheLicenseKeyTruncatedOrZeroPaddedTo32Bytes() {
        assertThat(LegacyActivationCipher.key(LICENSE)).isEqualTo(LICENSE.getBytes(StandardCharsets.UTF_8));
        assertThat(LegacyActivationCipher.key("LIC-xxx")).hasSize(32)
                .startsWith("LIC-xxx".getBytes(StandardCharsets.UTF_8))
                .endsWith(new byte[25]);
        assertThat(LegacyActivationCipher.key(LICENSE + "-and-more")).isEqualTo(LICENSE.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void everyActivationHasItsOwnIv() {
        LegacyActivationCipher.Sealed first = LegacyActivationCipher.seal(LICENSE, PROXY_KEY,
                LegacyActivationCipher.Padding.SINGLE);
        LegacyActivationCipher.Sealed second = LegacyActivationCipher.seal(LICENSE, PROXY_KEY,
                LegacyActivationCipher.Padding.SINGLE);

        assertThat(Base64.getDecoder().decode(first.iv())).hasSize(16);
        assertThat(first.iv()).isNotEqualTo(second.iv());
        assertThat(first.encryptedApiKey()).isNotEqualTo(second.encryptedApiKey());
    }

    /** Seed 001's Python client: raw AES-256-CBC, then {@code decrypted[:-decrypted[-1]]}. */
    private static String pythonClient(LegacyActivationCipher.Sealed sealed, String licenseKey) throws Exception {
        byte[] utf8 = licenseKey.getBytes(StandardCharsets.UTF_8);
        byte[] key = Arrays.copyOf(Arrays.copyOfRange(utf8, 0, Math.min(32, utf8.length)), 32);
        Cipher cipher = Cipher.getInstance("AES/CBC/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
                new IvParameterSpec(Base64.getDecoder().decode(sealed.iv())));
        byte[] decrypted = cipher.doFinal(Base64.getDecoder().decode(sealed.encryptedApiKey()));
        int paddingLength = decrypted[decrypted.length - 1];
        return new String(decrypted, 0, decrypted.length - paddingLength, StandardCharsets.UTF_8);
    }

    /**
     * Seed 001's TypeScript client: Node's {@code aes-256-cbc} decipher (which removes PKCS#7 padding), then
     * {@code decrypted.slice(0, -decrypted[decrypted.length - 1])}.
     */
    private static String typeScriptClient(LegacyActivationCipher.Sealed sealed, String licenseKey) throws Exception {
        byte[] key = new byte[32];
        byte[] utf8 = licenseKey.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(utf8, 0, key, 0, Math.min(32, utf8.length));
        Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
        cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
                new IvParameterSpec(Base64.getDecoder().decode(sealed.iv())));
        byte[] decrypted = cipher.doFinal(Base64.getDecoder().decode(sealed.encryptedApiKey()));
        int paddingLength = decrypted[decrypted.length - 1];
        // Buffer.slice clamps a negative end that reaches before the start to an empty buffer.
        int end = Math.max(0, decrypted.length - paddingLength);
        return new String(decrypted, 0, end, StandardCharsets.UTF_8);
    }
}
