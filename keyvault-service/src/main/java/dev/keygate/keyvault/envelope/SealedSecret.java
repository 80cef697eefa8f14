package dev.keygate.keyvault.envelope;

/**
 * A key sealed by envelope encryption: the key encrypted under its own data key, and that data key wrapped by
 * master key {@code masterKeyVersion}. Safe to store; worthless without the master key.
 */
public record SealedSecret(byte[] ciphertext, byte[] dataNonce, byte[] wrappedDataKey, byte[] wrapNonce,
                           int masterKeyVersion) {
}
