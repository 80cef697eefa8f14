package dev.keygate.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class TestKeycloakIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String PASSWORD_PLACEHOLDER = "${KEYGATE_DEMO_PASSWORD}";
    private static final String SECRET_PLACEHOLDER = "${KEYGATE_ADMIN_CLIENT_SECRET}";

    private static TestKeycloak keycloak;

    @BeforeAll
    static void startKeycloak() {
        keycloak = TestKeycloak.shared();
    }

    @Test
    void sharedInstanceIsOneServerOnLoopback() {
        assertThat(TestKeycloak.shared()).isSameAs(keycloak);
        assertThat(keycloak.baseUrl()).isEqualTo(URI.create("http://127.0.0.1:" + keycloak.port()));
        assertThat(keycloak.issuerUri()).isEqualTo("http://127.0.0.1:" + keycloak.port() + "/realms/keygate");
    }

    @Test
    void pkceLoginOfADeveloperCarriesAudienceRolesAndTenant() {
        JsonNode claims = claims(keycloak.loginWithPkce("alice"));

        assertThat(claims.path("iss").stringValue(null)).isEqualTo(keycloak.issuerUri());
        assertThat(claims.path("azp").stringValue(null)).isEqualTo("keygate-frontend");
        assertThat(strings(claims.path("aud"))).contains("keygate-api");
        assertThat(strings(claims.path("realm_access").path("roles")))
                .contains("developer")
                .doesNotContain("platform-admin", "analyst");
        assertThat(claims.path("tenant_id").stringValue(null)).isEqualTo("acme");
        assertThat(claims.path("preferred_username").stringValue(null)).isEqualTo("alice");
    }

    @Test
    void tenantComesFromTheUsersAttribute() {
        assertThat(claims(keycloak.loginWithPkce("bob")).path("tenant_id").stringValue(null)).isEqualTo("globex");
    }

    @Test
    void passwordGrantOfTheCliClientCarriesTheSameClaims() {
        JsonNode pat = claims(keycloak.passwordGrant("pat"));
        assertThat(pat.path("azp").stringValue(null)).isEqualTo("keygate-cli");
        assertThat(strings(pat.path("aud"))).contains("keygate-api");
        assertThat(strings(pat.path("realm_access").path("roles"))).contains("platform-admin");
        assertThat(pat.path("tenant_id").stringValue(null)).isEqualTo("acme");

        JsonNode ana = claims(keycloak.passwordGrant("ana"));
        assertThat(strings(ana.path("realm_access").path("roles")))
                .contains("analyst")
                .doesNotContain("developer", "platform-admin");
    }

    @Test
    void wrongPasswordIsRefused() {
        String wrong = keycloak.demoPassword() + "-wrong";
        assertThatThrownBy(() -> keycloak.loginWithPkce("alice", wrong))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("refused the login of 'alice'")
                .hasMessageContaining("Invalid username or password");
        assertThatThrownBy(() -> keycloak.passwordGrant("alice", wrong))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("invalid_grant");
    }

    @Test
    void adminServiceAccountCanReadUsersAndTheirTenant() throws Exception {
        String token = keycloak.clientCredentialsToken();
        JsonNode claims = claims(token);
        assertThat(claims.path("azp").stringValue(null)).isEqualTo("keygate-admin-service");
        assertThat(strings(claims.path("resource_access").path("realm-management").path("roles")))
                .contains("view-realm", "manage-users", "view-users", "query-users");

        HttpResponse<String> users = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(keycloak.baseUrl() + "/admin/realms/keygate/users?username=bob&exact=true"))
                        .header("Authorization", "Bearer " + token)
                        .GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(users.statusCode()).isEqualTo(200);
        JsonNode bob = JSON.readTree(users.body()).path(0);
        // Only a declared (managed) user-profile attribute is visible through the admin API.
        assertThat(strings(bob.path("attributes").path("tenant"))).containsExactly("globex");
        assertThat(bob.path("requiredActions").isEmpty()).isTrue();
    }

    @Test
    void realmFileHoldsOnlyPlaceholdersForSecrets() throws IOException {
        String text;
        try (InputStream in = TestKeycloakIT.class.getClassLoader().getResourceAsStream("keycloak/keygate-realm.json")) {
            assertThat(in).as("realm file on the classpath").isNotNull();
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        JsonNode realm = JSON.readTree(text);

        List<String> passwords = new ArrayList<>();
        for (JsonNode user : realm.path("users")) {
            for (JsonNode credential : user.path("credentials")) {
                passwords.add(credential.path("value").stringValue(null));
            }
        }
        assertThat(passwords).isNotEmpty().containsOnly(PASSWORD_PLACEHOLDER);

        List<String> secrets = new ArrayList<>();
        for (JsonNode client : realm.path("clients")) {
            if (client.has("secret")) {
                secrets.add(client.path("secret").stringValue(null));
            }
        }
        assertThat(secrets).containsExactly(SECRET_PLACEHOLDER);

        // Environment placeholders (upper case) are the two above; lower-case ${...} are theme message keys.
        Matcher placeholders = Pattern.compile("\\$\\{([A-Z0-9_]+)}").matcher(text);
        List<String> environment = new ArrayList<>();
        while (placeholders.find()) {
            environment.add(placeholders.group());
        }
        assertThat(environment).containsOnly(PASSWORD_PLACEHOLDER, SECRET_PLACEHOLDER);
        assertThat(text).doesNotContain(keycloak.demoPassword(), keycloak.adminClientSecret());
    }

    private static JsonNode claims(String jwt) {
        String[] parts = jwt.split("\\.");
        assertThat(parts).hasSize(3);
        return JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
    }

    private static List<String> strings(JsonNode node) {
        List<String> values = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(value -> values.add(value.stringValue(null)));
        } else if (node.isString()) {
            values.add(node.stringValue());
        }
        return values;
    }
}
