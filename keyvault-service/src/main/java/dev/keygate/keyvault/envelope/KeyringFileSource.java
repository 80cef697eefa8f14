package dev.keygate.keyvault.envelope;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Supplier;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * Reads master keys as {@code <version>=<base64 of 32 bytes>} lines, from a file (mode 600, outside the database's
 * reach) or from an inline value such as the {@code KEYGATE_MASTER_KEYS} environment variable (comma-separated).
 */
final class KeyringFileSource implements MasterKeySource {

    private final Supplier<String> text;
    private final String origin;

    private KeyringFileSource(Supplier<String> text, String origin) {
        this.text = text;
        this.origin = origin;
    }

    /** The file is read on every {@link #load()}, so a version added to it is picked up by a reload. */
    static KeyringFileSource file(Path file) {
        return new KeyringFileSource(() -> {
            try {
                return Files.readString(file);
            }
            catch (IOException ex) {
                throw new UncheckedIOException("cannot read the master key file " + file, ex);
            }
        }, file.toString());
    }

    static KeyringFileSource inline(String value) {
        String lines = value.replace(',', '\n');
        return new KeyringFileSource(() -> lines, "KEYGATE_MASTER_KEYS");
    }

    @Override
    public Map<Integer, SecretKey> load() {
        Properties lines = new Properties();
        try {
            lines.load(new StringReader(text.get()));
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        Map<Integer, SecretKey> keys = new TreeMap<>();
        for (String name : lines.stringPropertyNames()) {
            int version;
            try {
                version = Integer.parseInt(name.trim());
            }
            catch (NumberFormatException ex) {
                throw new IllegalStateException("master key entry '" + name + "' in " + origin
                        + " is not a version number; write lines as <version>=<base64 key>");
            }
            byte[] key;
            try {
                key = Base64.getDecoder().decode(lines.getProperty(name).trim());
            }
            catch (IllegalArgumentException ex) {
                throw new IllegalStateException("master key version " + version + " in " + origin + " is not base64");
            }
            if (key.length != 32) {
                throw new IllegalStateException("master key version " + version + " in " + origin
                        + " is " + key.length + " bytes; it must be 32 (AES-256)");
            }
            keys.put(version, new SecretKeySpec(key, "AES"));
        }
        return keys;
    }
}
