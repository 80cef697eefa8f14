package dev.keygate.testkit;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * PEM files of one service's identity: its certificate (SAN URI {@code spiffe://keygate/<service>}), its PKCS#8
 * private key, and the CA certificate it trusts. Usable directly as a Spring Boot PEM SSL bundle.
 */
public record ServiceCertificate(String identity, Path certificate, Path privateKey, Path caCertificate) {

    /** A TLS context that presents this identity and trusts only {@code trustedCa}: for test clients. */
    public SSLContext sslContext(Path trustedCa) {
        try {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("identity", readPrivateKey(privateKey), new char[0],
                    new Certificate[] {readCertificate(certificate)});
            KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keys, new char[0]);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers.getKeyManagers(), trustOnly(trustedCa).getTrustManagers(), null);
            return context;
        }
        catch (IOException | GeneralSecurityException ex) {
            throw new IllegalStateException("cannot build a TLS context for " + identity, ex);
        }
    }

    /** A TLS context that presents no certificate and trusts only {@code trustedCa}. */
    public static SSLContext anonymousSslContext(Path trustedCa) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trustOnly(trustedCa).getTrustManagers(), null);
            return context;
        }
        catch (IOException | GeneralSecurityException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static TrustManagerFactory trustOnly(Path ca) throws IOException, GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", readCertificate(ca));
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        return factory;
    }

    private static X509Certificate readCertificate(Path file) throws IOException, GeneralSecurityException {
        try (Reader reader = Files.newBufferedReader(file); PEMParser parser = new PEMParser(reader)) {
            return new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) parser.readObject());
        }
    }

    private static PrivateKey readPrivateKey(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file); PEMParser parser = new PEMParser(reader)) {
            return new JcaPEMKeyConverter().getPrivateKey((PrivateKeyInfo) parser.readObject());
        }
    }
}
