package dev.keygate.keyvault.envelope;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A provider key in plaintext. It exists only between a request and the cipher; {@link #toString()} prints
 * {@code ***} so no log line, exception message or debugger view built from it can leak it.
 */
public final class PlainKey {

    private static final int MAX_LENGTH = 4096;

    private final byte[] value;

    private PlainKey(byte[] value) {
        this.value = value;
    }

    /** Accepts a key as a client sent it: printable ASCII without spaces, at most 4096 characters. */
    public static PlainKey of(String key) {
        if (key == null || key.isEmpty()) {
            throw new InvalidPlainKeyException("the key is empty");
        }
        if (key.length() > MAX_LENGTH) {
            throw new InvalidPlainKeyException("the key is longer than " + MAX_LENGTH + " characters");
        }
        if (!key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new InvalidPlainKeyException("the key contains whitespace or characters outside printable ASCII");
        }
        return new PlainKey(key.getBytes(StandardCharsets.US_ASCII));
    }

    static PlainKey ofBytes(byte[] value) {
        return new PlainKey(value);
    }

    byte[] bytes() {
        return value.clone();
    }

    /** The key itself, for the one place that must send it: the proxy's resolve answer. */
    public String reveal() {
        return new String(value, StandardCharsets.US_ASCII);
    }

    /** The last four characters, the only part of a key a person is ever shown. */
    public String hint() {
        int length = value.length;
        return length <= 8 ? "" : new String(value, length - 4, 4, StandardCharsets.US_ASCII);
    }

    /** A truncated SHA-256: tells two keys apart without helping anyone recover either. */
    public String fingerprint() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(value);
            return "sha256:" + HexFormat.of().formatHex(digest, 0, 8);
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PlainKey that && MessageDigest.isEqual(value, that.value);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "***";
    }
}
