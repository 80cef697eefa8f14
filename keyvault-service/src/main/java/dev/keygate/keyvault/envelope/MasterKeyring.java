package dev.keygate.keyvault.envelope;

import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

import javax.crypto.SecretKey;

/**
 * The versioned master keys (KEKs). New secrets are sealed with the primary version; every version at or above
 * {@code minDecryptionVersion} still opens what it sealed, which is what makes rotation possible without downtime.
 */
public final class MasterKeyring {

    private final NavigableMap<Integer, SecretKey> keys;
    private final int primaryVersion;
    private final int minDecryptionVersion;

    public MasterKeyring(Map<Integer, SecretKey> keys, int primaryVersion, int minDecryptionVersion) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("the keyring holds no master key");
        }
        keys.forEach((version, key) -> {
            if (version < 1) {
                throw new IllegalArgumentException("master key versions start at 1, not " + version);
            }
            if (key.getEncoded().length != 32) {
                throw new IllegalArgumentException("master key version " + version + " is not 256 bits");
            }
        });
        if (!keys.containsKey(primaryVersion)) {
            throw new IllegalArgumentException("the primary master key version " + primaryVersion + " is not in the keyring");
        }
        if (minDecryptionVersion > primaryVersion) {
            throw new IllegalArgumentException("min decryption version " + minDecryptionVersion
                    + " is above the primary version " + primaryVersion);
        }
        this.keys = Collections.unmodifiableNavigableMap(new TreeMap<>(keys));
        this.primaryVersion = primaryVersion;
        this.minDecryptionVersion = minDecryptionVersion;
    }

    public int primaryVersion() {
        return primaryVersion;
    }

    public int minDecryptionVersion() {
        return minDecryptionVersion;
    }

    SecretKey primary() {
        return keys.get(primaryVersion);
    }

    SecretKey forDecryption(int version) {
        SecretKey key = keys.get(version);
        if (key == null || version < minDecryptionVersion) {
            throw new SecretUnavailableException("master key version " + version + " is not available for decryption");
        }
        return key;
    }

    @Override
    public String toString() {
        return "MasterKeyring[versions=" + keys.keySet() + ", primary=" + primaryVersion + ", minDecryption="
                + minDecryptionVersion + "]";
    }
}
