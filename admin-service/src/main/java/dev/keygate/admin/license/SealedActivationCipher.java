package dev.keygate.admin.license;

import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.XECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import dev.keygate.admin.system.InvalidRequestException;

/**
 * Activation v2: the proxy key sealed to the device's ephemeral public key, so only the process that made the key
 * pair can open it. Key agreement X25519 (or P-256), HKDF-SHA256 with salt = client SPKI || server SPKI and info
 * {@value #INFO}, AES-256-GCM with a random 96-bit nonce and the UTF-8 hardware id as associated data. Public keys
 * travel as base64 DER SubjectPublicKeyInfo, which every common library exports. The server's key pair lives for
 * one activation only.
 */
final class SealedActivationCipher {

    static final String INFO = "keygate activation v2";
    private static final int KEY_BYTES = 32;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ECParameterSpec P256 = p256();

    /** A client's validated public key and the agreement it asks for. */
    record ClientKey(PublicKey key, byte[] spki, Curve curve) {
    }

    enum Curve {
        X25519("x25519-hkdf-sha256-aes256gcm", "XDH"),
        P256("p256-hkdf-sha256-aes256gcm", "ECDH");

        private final String algorithm;
        private final String agreement;

        Curve(String algorithm, String agreement) {
            this.algorithm = algorithm;
            this.agreement = agreement;
        }

        String algorithm() {
            return algorithm;
        }
    }

    /** What the device needs to open the key: all binary values are standard base64. */
    record Sealed(String algorithm, String serverPublicKey, String nonce, String sealedKey) {
    }

    private SealedActivationCipher() {
    }

    /** Parses {@code public_key}; refuses anything but an X25519 or P-256 SubjectPublicKeyInfo. */
    static ClientKey clientKey(String base64) {
        if (base64 == null || base64.isBlank()) {
            throw invalidKey();
        }
        byte[] spki;
        try {
            spki = Base64.getDecoder().decode(base64.strip());
        }
        catch (IllegalArgumentException ex) {
            throw invalidKey();
        }
        try {
            PublicKey key = KeyFactory.getInstance("XDH").generatePublic(new X509EncodedKeySpec(spki));
            if (key instanceof XECPublicKey xec && xec.getParams() instanceof NamedParameterSpec named
                    && NamedParameterSpec.X25519.getName().equalsIgnoreCase(named.getName())) {
                return usable(new ClientKey(key, spki, Curve.X25519));
            }
            throw invalidKey();
        }
        catch (GeneralSecurityException notXdh) {
            // Not an X25519 key: try P-256 below.
        }
        try {
            PublicKey key = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(spki));
            if (key instanceof ECPublicKey ec && ec.getParams().getOrder().equals(P256.getOrder())
                    && ec.getParams().getCurve().equals(P256.getCurve())) {
                return usable(new ClientKey(key, spki, Curve.P256));
            }
        }
        catch (GeneralSecurityException | IllegalArgumentException notEc) {
            // Falls through to the refusal.
        }
        throw invalidKey();
    }

    /**
     * Refuses, before any key is issued, a public key no agreement works with: a low-order X25519 point (all-zero
     * secret) or a point off the P-256 curve.
     */
    private static ClientKey usable(ClientKey client) {
        try {
            byte[] secret = agree(keyPair(client.curve()), client);
            boolean zero = true;
            for (byte b : secret) {
                zero &= b == 0;
            }
            Arrays.fill(secret, (byte) 0);
            if (zero) {
                throw invalidKey();
            }
            return client;
        }
        catch (GeneralSecurityException ex) {
            throw invalidKey();
        }
    }

    private static KeyPair keyPair(Curve curve) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(curve == Curve.X25519 ? "X25519" : "EC");
        if (curve == Curve.P256) {
            generator.initialize(P256, RANDOM);
        }
        return generator.generateKeyPair();
    }

    private static byte[] agree(KeyPair server, ClientKey client) throws GeneralSecurityException {
        KeyAgreement agreement = KeyAgreement.getInstance(client.curve().agreement);
        agreement.init(server.getPrivate());
        agreement.doPhase(client.key(), true);
        return agreement.generateSecret();
    }

    static Sealed seal(ClientKey client, String hardwareId, String proxyKey) {
        byte[] shared = null;
        byte[] key = null;
        byte[] plaintext = proxyKey.getBytes(StandardCharsets.UTF_8);
        try {
            KeyPair server = keyPair(client.curve());
            byte[] serverSpki = server.getPublic().getEncoded();
            shared = agree(server, client);
            key = hkdfSha256(shared, concat(client.spki(), serverSpki), INFO.getBytes(StandardCharsets.UTF_8),
                    KEY_BYTES);

            byte[] nonce = new byte[NONCE_BYTES];
            RANDOM.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(hardwareId.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(plaintext);
            Base64.Encoder base64 = Base64.getEncoder();
            return new Sealed(client.curve().algorithm(), base64.encodeToString(serverSpki),
                    base64.encodeToString(nonce), base64.encodeToString(sealed));
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException("Sealing the activation failed", ex);
        }
        finally {
            Arrays.fill(plaintext, (byte) 0);
            if (shared != null) {
                Arrays.fill(shared, (byte) 0);
            }
            if (key != null) {
                Arrays.fill(key, (byte) 0);
            }
        }
    }

    /** HKDF (RFC 5869) with HMAC-SHA256. */
    static byte[] hkdfSha256(byte[] ikm, byte[] salt, byte[] info, int length) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(salt.length == 0 ? new byte[32] : salt, "HmacSHA256"));
        byte[] prk = mac.doFinal(ikm);
        mac.init(new SecretKeySpec(prk, "HmacSHA256"));
        byte[] okm = new byte[length];
        byte[] block = new byte[0];
        for (int done = 0, counter = 1; done < length; counter++) {
            mac.update(block);
            mac.update(info);
            mac.update((byte) counter);
            block = mac.doFinal();
            int take = Math.min(block.length, length - done);
            System.arraycopy(block, 0, okm, done, take);
            done += take;
        }
        Arrays.fill(prk, (byte) 0);
        return okm;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    private static InvalidRequestException invalidKey() {
        return new InvalidRequestException("public_key must be the standard base64 of a DER SubjectPublicKeyInfo of"
                + " an ephemeral X25519 or P-256 public key.");
    }

    private static ECParameterSpec p256() {
        try {
            AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
            parameters.init(new ECGenParameterSpec("secp256r1"));
            return parameters.getParameterSpec(ECParameterSpec.class);
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException("P-256 is unavailable", ex);
        }
    }
}
