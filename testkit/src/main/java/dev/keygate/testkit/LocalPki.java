package dev.keygate.testkit;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

/**
 * A throwaway certificate authority (EC P-256) that issues each Keygate service a certificate naming it by a SAN URI
 * such as {@code spiffe://keygate/proxy-service}, good for both TLS server and client authentication. The CA is kept
 * in its directory so the one-machine stack reuses it between runs; service certificates are issued fresh.
 */
public final class LocalPki {

    /** The trust domain in every service identity. */
    public static final String TRUST_DOMAIN = "keygate";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static LocalPki shared;

    private final Path directory;
    private final KeyPair caKeys;
    private final X509Certificate caCertificate;
    private final Path caFile;

    private LocalPki(Path directory, KeyPair caKeys, X509Certificate caCertificate, Path caFile) {
        this.directory = directory;
        this.caKeys = caKeys;
        this.caCertificate = caCertificate;
        this.caFile = caFile;
    }

    /** A fresh CA for this test JVM, in a temporary directory. */
    public static synchronized LocalPki shared() {
        if (shared == null) {
            try {
                shared = open(Files.createTempDirectory("keygate-pki-"), "Keygate Test CA");
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
        return shared;
    }

    /** Loads the CA kept in {@code directory}, creating it on first use. */
    public static LocalPki open(Path directory, String caName) {
        try {
            Files.createDirectories(directory);
            Path caFile = directory.resolve("ca.crt.pem");
            Path caKeyFile = directory.resolve("ca.key.pem");
            if (Files.exists(caFile) && Files.exists(caKeyFile)) {
                return new LocalPki(directory, readKeyPair(caKeyFile), readCertificate(caFile), caFile);
            }
            KeyPair keys = newKeyPair();
            X509Certificate ca = selfSignedCa(keys, caName);
            writePrivateKey(caKeyFile, keys.getPrivate());
            writePem(caFile, ca);
            return new LocalPki(directory, keys, ca, caFile);
        }
        catch (IOException | GeneralSecurityException | OperatorCreationException ex) {
            throw new IllegalStateException("could not open the local PKI in " + directory, ex);
        }
    }

    /** Another, unrelated CA: for proving that certificates it issues are refused. */
    public static LocalPki untrusted() {
        try {
            return open(Files.createTempDirectory("keygate-rogue-pki-"), "Rogue CA");
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** The CA certificate, as PEM. */
    public Path caCertificate() {
        return caFile;
    }

    /** Issues {@code service} a certificate for {@code spiffe://keygate/<service>}, valid for 30 days. */
    public ServiceCertificate issue(String service) {
        String identity = "spiffe://" + TRUST_DOMAIN + "/" + service;
        try {
            KeyPair keys = newKeyPair();
            Instant now = Instant.now();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caCertificate,
                    new BigInteger(127, RANDOM), Date.from(now.minus(Duration.ofMinutes(5))),
                    Date.from(now.plus(Duration.ofDays(30))), new X500Name("CN=" + service + ",O=Keygate"),
                    keys.getPublic());
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.uniformResourceIdentifier, identity),
                    new GeneralName(GeneralName.dNSName, "localhost"),
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    extensions.createSubjectKeyIdentifier(keys.getPublic()));
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    extensions.createAuthorityKeyIdentifier(caCertificate));
            X509Certificate certificate = sign(builder, caKeys.getPrivate());

            Path certificateFile = directory.resolve(service + ".crt.pem");
            Path keyFile = directory.resolve(service + ".key.pem");
            writePem(certificateFile, certificate);
            writePrivateKey(keyFile, keys.getPrivate());
            return new ServiceCertificate(identity, certificateFile, keyFile, caFile);
        }
        catch (IOException | GeneralSecurityException | OperatorCreationException ex) {
            throw new IllegalStateException("could not issue a certificate for " + service, ex);
        }
    }

    private static X509Certificate selfSignedCa(KeyPair keys, String name)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        X500Name subject = new X500Name("CN=" + name + ",O=Keygate");
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, new BigInteger(127, RANDOM),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(3650))), subject,
                keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        builder.addExtension(Extension.subjectKeyIdentifier, false,
                new JcaX509ExtensionUtils().createSubjectKeyIdentifier(keys.getPublic()));
        return sign(builder, keys.getPrivate());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey issuerKey)
            throws OperatorCreationException, GeneralSecurityException {
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey);
        X509CertificateHolder holder = builder.build(signer);
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return generator.generateKeyPair();
    }

    private static void writePem(Path file, Object object) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
            pem.writeObject(object);
        }
        Files.writeString(file, text.toString());
    }

    private static void writePrivateKey(Path file, PrivateKey key) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
            pem.writeObject(new JcaPKCS8Generator(key, null));
        }
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (Writer out = Files.newBufferedWriter(file)) {
            out.write(text.toString());
        }
    }

    private static X509Certificate readCertificate(Path file) throws IOException, GeneralSecurityException {
        try (PEMParser parser = new PEMParser(Files.newBufferedReader(file))) {
            return new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) parser.readObject());
        }
    }

    private static KeyPair readKeyPair(Path file) throws IOException, GeneralSecurityException {
        try (PEMParser parser = new PEMParser(Files.newBufferedReader(file))) {
            Object pem = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (pem instanceof PEMKeyPair pair) {
                return converter.getKeyPair(pair);
            }
            PrivateKey privateKey = converter.getPrivateKey((PrivateKeyInfo) pem);
            X509Certificate ca = readCertificate(file.resolveSibling("ca.crt.pem"));
            return new KeyPair(ca.getPublicKey(), privateKey);
        }
    }
}
