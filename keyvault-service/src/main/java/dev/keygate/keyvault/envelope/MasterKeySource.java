package dev.keygate.keyvault.envelope;

import java.util.Map;

import javax.crypto.SecretKey;

/**
 * Where master keys come from: never the database. Locally a key file or an environment variable
 * ({@link KeyringFileSource}); in production a bean of this type backed by a cloud KMS or Vault's transit engine
 * replaces it (see docs/keyvault.md).
 */
@FunctionalInterface
public interface MasterKeySource {

    /** Every master key version this instance may use, by version number. */
    Map<Integer, SecretKey> load();
}
