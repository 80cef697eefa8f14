package dev.keygate.admin;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.keygate.testkit.TestKeycloak;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * admin-service on a real port with real Keycloak tokens of the realm's demo users: alice (developer), pat
 * (platform-admin) and ana (analyst) of tenant acme; bob (developer) and gwen (platform-admin) of tenant globex.
 * Subclasses share one application context (and so one outbox relay).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class SignedInApiTest {

    protected static final TestKeycloak KEYCLOAK = TestKeycloak.shared();
    protected static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** Access tokens live 5 minutes in the realm; a minute's reuse keeps the tests fast and the tokens valid. */
    private static final Map<String, Token> TOKENS = new ConcurrentHashMap<>();

    @LocalServerPort
    protected int port;

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) {
        AdminTestServers.register(registry, "admin_signed_in");
        registry.add("keygate.outbox.slot-name", () -> "keygate_admin_signed_in");
        registry.add("keygate.outbox.offset-topic", () -> "keygate.admin.outbox-offsets.signed-in");
        registry.add("keygate.keyvault.url", () -> "https://127.0.0.1:1");
        registry.add("keygate.catalog.allowed-private-hosts", () -> "10.20.30.0/24");
        registry.add("spring.security.oauth2.resourceserver.jwt.issuer-uri", KEYCLOAK::issuerUri);
        registry.add("keygate.keycloak.issuer", KEYCLOAK::issuerUri);
        registry.add("keygate.keycloak.client-secret", KEYCLOAK::adminClientSecret);
    }

    /** A current access token of a demo user. */
    protected static String token(String username) {
        return TOKENS.compute(username, (name, known) -> known != null && known.fresh() ? known
                : new Token(KEYCLOAK.passwordGrant(name), Instant.now())).value();
    }

    /** The Keycloak user id (the token's {@code sub}) of a demo user. */
    protected static String userId(String username) {
        String payload = new String(java.util.Base64.getUrlDecoder().decode(token(username).split("\\.")[1]),
                java.nio.charset.StandardCharsets.UTF_8);
        return JSON.readTree(payload).get("sub").asString();
    }

    /** Calls the API as {@code username} ({@code null} for no token) with an optional JSON body. */
    protected HttpResponse<String> call(String method, String path, String username, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (username != null) {
            request.header("Authorization", "Bearer " + token(username));
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    protected static JsonNode json(HttpResponse<String> response) {
        return JSON.readTree(response.body());
    }

    private record Token(String value, Instant issuedAt) {

        boolean fresh() {
            return issuedAt.plusSeconds(60).isAfter(Instant.now());
        }
    }
}
