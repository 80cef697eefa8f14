package dev.keygate.admin.license;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seed 001's activation encryption, kept only so its clients work unchanged; see docs/activation.md for why it is
 * weak. AES-256-CBC; the key is the first 32 bytes of the UTF-8 license key, zero-padded to 32; a random 16-byte
 * IV; PKCS#7 padding; ciphertext and IV in standard base64.
 *
 * <p>The seed's two clients disagree about padding. The Python client decrypts raw CBC and strips the PKCS#7 padding
 * itself. The TypeScript client uses Node's {@code createDecipheriv}, which already strips PKCS#7 padding, and then
 * strips "padding" a second time, cutting the key short. {@link Padding#DOUBLE} adds a second PKCS#7 layer so that
 * the TypeScript client's two strips leave exactly the key; no single ciphertext satisfies both clients.
 */
final class LegacyActivationCipher {

    private static final int KEY_BYTES = 32;
    private static final int BLOCK = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** How many PKCS#7 layers the client strips. */
    enum Padding {
        /** One layer: the seed's Python client and any correct AES-CBC/PKCS#7 client. */
        SINGLE,
        /** Two layers: the seed's TypeScript client (Node's automatic unpadding, then its own). */
        DOUBLE
    }

    /** The seed's {@code encrypted_api_key} and {@code iv}, both standard base64. */
    record Sealed(String encryptedApiKey, String iv) {
    }

    private LegacyActivationCipher() {
    }

    static Sealed seal(String licenseKey, String proxyKey, Padding padding) {
        byte[] iv = new byte[BLOCK];
        RANDOM.nextBytes(iv);
        return seal(licenseKey, proxyKey, padding, iv);
    }

    /** With a given IV; the IV must be fresh and unpredictable, as {@link #seal(String, String, Padding)}'s is. */
    static Sealed seal(String licenseKey, String proxyKey, Padding padding, byte[] iv) {
        byte[] plaintext = proxyKey.getBytes(StandardCharsets.UTF_8);
        if (padding == Padding.DOUBLE) {
            plaintext = pkcs7(plaintext);
        }
        byte[] key = key(licenseKey);
        try {
            Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding"); // PKCS#5 in JCA names is PKCS#7 for AES
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
            byte[] ciphertext = cipher.doFinal(plaintext);
            return new Sealed(Base64.getEncoder().encodeToString(ciphertext), Base64.getEncoder().encodeToString(iv));
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException("AES-256-CBC is unavailable", ex);
        }
        finally {
            Arrays.fill(key, (byte) 0);
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    /** The seed's key derivation: {@code license_key.encode()[:32].ljust(32, b'\0')}. */
    static byte[] key(String licenseKey) {
        return Arrays.copyOf(licenseKey.getBytes(StandardCharsets.UTF_8), KEY_BYTES);
    }

    private static byte[] pkcs7(byte[] data) {
        int pad = BLOCK - data.length % BLOCK;
        byte[] padded = Arrays.copyOf(data, data.length + pad);
        Arrays.fill(padded, data.length, padded.length, (byte) pad);
        return padded;
    }
}
