package dev.keygate.keyvault.envelope;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.function.Supplier;

import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Envelope encryption with AES-256-GCM: a fresh 256-bit data key and random 96-bit nonce per secret, the data key
 * wrapped (AES-256-GCM again, own nonce) by the primary master key. Both layers authenticate the
 * {@link AssociatedData}; the wrap also authenticates the master key version.
 */
public final class EnvelopeCipher {

    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final SecureRandom random = new SecureRandom();
    private final Supplier<MasterKeyring> keyrings;

    public EnvelopeCipher(MasterKeyring keyring) {
        this(() -> keyring);
    }

    /** A cipher that always uses the keyring as it is at the moment of each operation. */
    public EnvelopeCipher(Supplier<MasterKeyring> keyrings) {
        this.keyrings = keyrings;
    }

    public SealedSecret seal(PlainKey plaintext, AssociatedData context) {
        MasterKeyring keyring = keyrings.get();
        byte[] dataKey = newDataKey();
        byte[] plain = plaintext.bytes();
        try {
            byte[] dataNonce = nonce();
            byte[] ciphertext = gcm(Cipher.ENCRYPT_MODE, new SecretKeySpec(dataKey, "AES"), dataNonce,
                    context.encode("data"), plain);
            int version = keyring.primaryVersion();
            byte[] wrapNonce = nonce();
            byte[] wrapped = gcm(Cipher.ENCRYPT_MODE, keyring.primary(), wrapNonce, wrapContext(context, version),
                    dataKey);
            return new SealedSecret(ciphertext, dataNonce, wrapped, wrapNonce, version);
        }
        finally {
            Arrays.fill(dataKey, (byte) 0);
            Arrays.fill(plain, (byte) 0);
        }
    }

    public PlainKey open(SealedSecret sealed, AssociatedData context) {
        SecretKey master = keyrings.get().forDecryption(sealed.masterKeyVersion());
        byte[] dataKey = null;
        try {
            dataKey = gcm(Cipher.DECRYPT_MODE, master, sealed.wrapNonce(),
                    wrapContext(context, sealed.masterKeyVersion()), sealed.wrappedDataKey());
            return PlainKey.ofBytes(gcm(Cipher.DECRYPT_MODE, new SecretKeySpec(dataKey, "AES"), sealed.dataNonce(),
                    context.encode("data"), sealed.ciphertext()));
        }
        catch (SecretUnavailableException ex) {
            throw new SecretUnavailableException("secret " + context.secretId()
                    + " does not authenticate for its owner, provider and id", ex);
        }
        finally {
            if (dataKey != null) {
                Arrays.fill(dataKey, (byte) 0);
            }
        }
    }

    /**
     * Re-wraps the data key under the current primary master key without ever exposing the secret's plaintext: the
     * ciphertext is kept as it is.
     */
    public SealedSecret rewrap(SealedSecret sealed, AssociatedData context) {
        MasterKeyring keyring = keyrings.get();
        SecretKey master = keyring.forDecryption(sealed.masterKeyVersion());
        byte[] dataKey = gcm(Cipher.DECRYPT_MODE, master, sealed.wrapNonce(),
                wrapContext(context, sealed.masterKeyVersion()), sealed.wrappedDataKey());
        try {
            int version = keyring.primaryVersion();
            byte[] wrapNonce = nonce();
            byte[] wrapped = gcm(Cipher.ENCRYPT_MODE, keyring.primary(), wrapNonce, wrapContext(context, version),
                    dataKey);
            return new SealedSecret(sealed.ciphertext(), sealed.dataNonce(), wrapped, wrapNonce, version);
        }
        finally {
            Arrays.fill(dataKey, (byte) 0);
        }
    }

    private static byte[] wrapContext(AssociatedData context, int masterKeyVersion) {
        return context.encode("data-key/v" + masterKeyVersion);
    }

    private byte[] newDataKey() {
        try {
            KeyGenerator generator = KeyGenerator.getInstance("AES");
            generator.init(256, random);
            return generator.generateKey().getEncoded();
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException("AES-256 is not available", ex);
        }
    }

    private byte[] nonce() {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        return nonce;
    }

    private static byte[] gcm(int mode, SecretKey key, byte[] nonce, byte[] associatedData, byte[] input) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(associatedData);
            return cipher.doFinal(input);
        }
        catch (javax.crypto.AEADBadTagException ex) {
            throw new SecretUnavailableException("authentication tag mismatch", ex);
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException("AES-GCM failed", ex);
        }
    }
}
