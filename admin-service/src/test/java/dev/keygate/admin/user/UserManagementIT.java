package dev.keygate.admin.user;

import dev.keygate.admin.AdminTestServers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;

import dev.keygate.testkit.TestKeycloak;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Users and roles through the real Keycloak: signed-in callers with real tokens, admin-service changing users with
 * keycloak-admin-client and its own service account, every operation confined to the caller's tenant.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class UserManagementIT {

    private static final TestKeycloak KEYCLOAK = TestKeycloak.shared();
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) {
        AdminTestServers.register(registry, "admin");
        registry.add("spring.security.oauth2.resourceserver.jwt.issuer-uri", KEYCLOAK::issuerUri);
        registry.add("keygate.keycloak.issuer", KEYCLOAK::issuerUri);
        registry.add("keygate.keycloak.client-secret", KEYCLOAK::adminClientSecret);
    }

    @Test
    void aPlatformAdminCreatesAUserInTheirTenantThroughKeycloakAndManagesItsRoles() throws Exception {
        String pat = KEYCLOAK.passwordGrant("pat");
        String username = "dev-" + UUID.randomUUID().toString().substring(0, 8);

        HttpResponse<String> created = call("POST", "/api/v1/users", pat,
                "{\"username\":\"" + username + "\",\"email\":\"" + username + "@acme.example\",\"first_name\":\"New\","
                        + "\"last_name\":\"Developer\",\"roles\":[\"developer\"]}");

        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode user = JSON.readTree(created.body());
        assertThat(user.get("tenant").asString()).isEqualTo("acme");
        assertThat(user.get("roles").toString()).isEqualTo("[\"developer\"]");
        assertThat(user.get("temporary_password").asString()).hasSizeGreaterThan(15);
        String id = user.get("id").asString();

        assertThat(call("GET", "/api/v1/users", pat, null).body()).contains(username).doesNotContain("\"bob\"")
                .doesNotContain("temporary_password");
        JsonNode promoted = JSON.readTree(call("PUT", "/api/v1/users/" + id + "/roles", pat,
                "[\"developer\",\"analyst\"]").body());
        assertThat(promoted.get("roles").toString()).isEqualTo("[\"analyst\",\"developer\"]");
        JsonNode disabled = JSON.readTree(call("POST", "/api/v1/users/" + id + "/disable", pat, null).body());
        assertThat(disabled.get("enabled").asBoolean()).isFalse();
        assertThat(call("POST", "/api/v1/users", pat, "{\"username\":\"" + username + "\"}").statusCode())
                .isEqualTo(409);
    }

    @Test
    void usersOfAnotherTenantAreInvisibleAndUntouchable() throws Exception {
        String pat = KEYCLOAK.passwordGrant("pat");
        String bobId = JSON.readTree(call("GET", "/api/v1/users", KEYCLOAK.passwordGrant("pat"), null).body())
                .valueStream().map(u -> u.get("username").asString()).filter("bob"::equals).findFirst().orElse(null);
        assertThat(bobId).as("bob belongs to globex").isNull();

        String bobSubject = subject(KEYCLOAK.passwordGrant("bob"));
        assertThat(call("POST", "/api/v1/users/" + bobSubject + "/disable", pat, null).statusCode()).isEqualTo(404);
        assertThat(call("PUT", "/api/v1/users/" + bobSubject + "/roles", pat, "[\"analyst\"]").statusCode())
                .isEqualTo(404);
    }

    @Test
    void eachRoleGetsExactlyItsOperations() throws Exception {
        String alice = KEYCLOAK.passwordGrant("alice");
        String ana = KEYCLOAK.passwordGrant("ana");

        for (String token : List.of(alice, ana)) {
            HttpResponse<String> refused = call("GET", "/api/v1/users", token, null);
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(refused.headers().firstValue("content-type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/problem+json"));
        }
        assertThat(call("GET", "/api/v1/proxy-keys", alice, null).statusCode()).isEqualTo(200);
        assertThat(call("GET", "/api/v1/proxy-keys", ana, null).statusCode()).isEqualTo(403);
        assertThat(call("GET", "/api/v1/users", null, null).statusCode()).isEqualTo(401);
        assertThat(call("GET", "/api/v1/users", KEYCLOAK.passwordGrant("pat") + "x", null).statusCode()).isEqualTo(401);
    }

    @Test
    void theWholeApiIsDescribedByOpenApi() throws Exception {
        HttpResponse<String> description = call("GET", "/v3/api-docs", null, null);

        assertThat(description.statusCode()).isEqualTo(200);
        JsonNode paths = JSON.readTree(description.body()).get("paths");
        assertThat(paths.propertyNames()).contains("/api/v1/users", "/api/v1/proxy-keys", "/api/v1/providers",
                "/api/v1/me/provider-keys/{provider}", "/api/v1/licenses", "/activate", "/api/v1/quota-policies",
                "/api/v1/proxy-keys/{id}/scope");
    }

    private HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String subject(String token) {
        String payload = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]),
                java.nio.charset.StandardCharsets.UTF_8);
        return JSON.readTree(payload).get("sub").asString();
    }
}
