package dev.keygate.admin.license;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * License keys: {@code LIC-} and 28 random Crockford base32 characters (140 bits), 32 bytes in all, so the seed's
 * legacy activation cipher, which takes the first 32 bytes of the license key as its AES-256 key, uses every byte of
 * it and pads none. Only the SHA-256 of a key is stored; activation looks the license up by it.
 */
final class LicenseKeys {

    static final String PREFIX = "LIC-";
    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final int RANDOM_CHARACTERS = 28;
    private static final SecureRandom RANDOM = new SecureRandom();

    private LicenseKeys() {
    }

    static String newKey() {
        StringBuilder key = new StringBuilder(PREFIX);
        for (int i = 0; i < RANDOM_CHARACTERS; i++) {
            key.append(ALPHABET[RANDOM.nextInt(ALPHABET.length)]);
        }
        return key.toString();
    }

    /** Lower-case hex SHA-256 of the UTF-8 text: the stored form of license keys and hardware ids. */
    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
