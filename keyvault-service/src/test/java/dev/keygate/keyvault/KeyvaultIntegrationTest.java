package dev.keygate.keyvault;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;

import javax.net.ssl.SSLContext;

import dev.keygate.testkit.FakeLlmProvider;
import dev.keygate.testkit.LocalPki;
import dev.keygate.testkit.LocalPostgres;
import dev.keygate.testkit.ServiceCertificate;
import dev.keygate.testkit.ServiceDatabase;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One keyvault for all its integration tests (one Spring context): real PostgreSQL, real mutual TLS with
 * certificates from the test kit's CA, a keyring file tests may add versions to, and the fake provider as the target
 * of key checks. Calls go out as each identity would make them.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class KeyvaultIntegrationTest {

    protected static final LocalPki PKI = LocalPki.shared();
    protected static final ServiceCertificate SERVER = PKI.issue("keyvault-service");
    protected static final ServiceCertificate PROXY = PKI.issue("proxy-service");
    protected static final ServiceCertificate ADMIN = PKI.issue("admin-service");
    protected static final ServiceCertificate OPERATOR = PKI.issue("keyvault-operator");
    protected static final ServiceCertificate STRANGER = PKI.issue("usage-service");
    protected static final FakeLlmProvider PROVIDER = FakeLlmProvider.shared();
    protected static final Path KEYRING = keyringFile();
    protected static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    protected int port;

    @Autowired
    protected JdbcTemplate jdbc;

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) {
        ServiceDatabase database = LocalPostgres.shared().database("keyvault", false);
        registry.add("spring.datasource.url", database::jdbcUrl);
        registry.add("spring.datasource.username", database::username);
        registry.add("spring.datasource.password", database::password);
        registry.add("spring.ssl.bundle.pem.keyvault-server.keystore.certificate", () -> "file:" + SERVER.certificate());
        registry.add("spring.ssl.bundle.pem.keyvault-server.keystore.private-key", () -> "file:" + SERVER.privateKey());
        registry.add("spring.ssl.bundle.pem.keyvault-server.truststore.certificate", () -> "file:" + PKI.caCertificate());
        registry.add("management.server.port", () -> "0");
        registry.add("keygate.keyvault.master-keys.file", KEYRING::toString);
        registry.add("keygate.keyvault.key-checks.providers.openai.url", () -> PROVIDER.baseUrl() + "/v1/models");
    }

    protected HttpResponse<String> call(ServiceCertificate identity, String method, String path, String body)
            throws IOException, InterruptedException {
        return send(identity.sslContext(PKI.caCertificate()), method, path, body);
    }

    protected JsonNode json(ServiceCertificate identity, String method, String path, String body) throws Exception {
        HttpResponse<String> response = call(identity, method, path, body);
        if (response.statusCode() >= 300) {
            throw new AssertionError(method + " " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }

    protected HttpResponse<String> send(SSLContext tls, String method, String path, String body)
            throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().sslContext(tls).build();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    protected static String resolveBody(String tenant, String user, String provider) {
        return "{\"tenantId\":\"" + tenant + "\",\"userId\":\"" + user + "\",\"provider\":\"" + provider + "\"}";
    }

    protected static String keyBody(String key) {
        return "{\"key\":\"" + key + "\"}";
    }

    protected static String randomToken(int bytes) {
        byte[] random = new byte[bytes];
        new SecureRandom().nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    protected static String masterKeyLine(int version) {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return version + "=" + Base64.getEncoder().encodeToString(key) + "\n";
    }

    private static Path keyringFile() {
        try {
            Path file = Files.createTempFile("keygate-keyring-", ".properties");
            Files.writeString(file, masterKeyLine(1));
            return file;
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
