package dev.keygate.admin;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Every role's allowed and refused operations, with real Keycloak tokens: alice (developer), pat (platform-admin),
 * ana (analyst). A refusal is 403 problem+json; a creation the role may do but sends invalid data for is 400, which
 * shows the role passed the authorisation check. Tenant isolation: gwen, platform-admin of globex, sees and touches
 * nothing of acme's.
 */
class RoleMatrixIT extends SignedInApiTest {

    /** method, path, body, then the status for alice (developer), pat (platform-admin), ana (analyst). */
    static Stream<Arguments> operations() {
        String provider = "rm-" + UUID.randomUUID().toString().substring(0, 8);
        return Stream.of(
                arguments("GET", "/api/v1/providers", null, 200, 200, 200),
                arguments("GET", "/api/v1/providers/with-keys", null, 200, 200, 200),
                arguments("GET", "/api/v1/providers/openai/models", null, 200, 200, 200),
                arguments("POST", "/api/v1/providers",
                        "{\"name\":\"" + provider + "\",\"base_url\":\"https://10.20.30.40/v1\"}", 403, 201, 403),
                arguments("DELETE", "/api/v1/providers/openai", null, 403, 403, 403),
                arguments("GET", "/api/v1/licenses", null, 403, 200, 403),
                arguments("POST", "/api/v1/licenses", "{\"name\":\"matrix\",\"tier\":\"pro\"}", 403, 201, 403),
                arguments("GET", "/api/v1/quota-policies", null, 403, 200, 200),
                arguments("GET", "/api/v1/quota-policies/tier-defaults", null, 403, 200, 200),
                arguments("POST", "/api/v1/quota-policies", "{\"scope\":\"galaxy\"}", 403, 400, 403),
                arguments("GET", "/api/v1/users", null, 403, 200, 403),
                arguments("POST", "/api/v1/users", "{}", 403, 400, 403),
                arguments("GET", "/api/v1/audit", null, 403, 200, 403),
                arguments("GET", "/api/v1/proxy-keys", null, 200, 200, 403),
                arguments("POST", "/api/v1/proxy-keys", "{\"name\":\"matrix\"}", 201, 201, 403),
                arguments("PUT", "/api/v1/org/provider-keys/openai", "{}", 403, 400, 403));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("operations")
    void eachRoleGetsExactlyItsOperations(String method, String path, String body, int developer, int platformAdmin,
                                          int analyst) throws Exception {
        // Run the refused roles first, so a creation the platform admin may do is only done once.
        assertStatus(method, path, body, "alice", developer == 201 ? -1 : developer);
        assertStatus(method, path, body, "ana", analyst);
        assertStatus(method, path, body, "pat", platformAdmin);
        if (developer == 201) {
            assertStatus(method, path, body, "alice", developer);
        }
        assertThat(call(method, path, null, body).statusCode()).as("no token").isEqualTo(401);
    }

    @Test
    void aPlatformAdminOfAnotherTenantSeesAndTouchesNothingOfOurs() throws Exception {
        String license = json(call("POST", "/api/v1/licenses", "pat", "{\"name\":\"acme only\",\"tier\":\"free\"}"))
                .get("id").asString();
        String provider = "iso-" + UUID.randomUUID().toString().substring(0, 8);
        String providerId = json(call("POST", "/api/v1/providers", "pat",
                "{\"name\":\"" + provider + "\",\"base_url\":\"https://10.20.30.41/v1\"}")).get("id").asString();
        String policy = json(call("POST", "/api/v1/quota-policies", "pat",
                "{\"scope\":\"tenant\",\"requests_per_minute\":7}"))
                .get("id").asString();

        for (String path : List.of("/api/v1/licenses/" + license, "/api/v1/quota-policies/" + policy,
                "/api/v1/providers/" + provider)) {
            assertThat(call("GET", path, "gwen", null).statusCode()).as(path).isEqualTo(404);
            assertThat(call("DELETE", path, "gwen", null).statusCode()).as(path).isEqualTo(404);
        }
        assertThat(call("PUT", "/api/v1/quota-policies/" + policy, "gwen", "{\"requests_per_minute\":9999}")
                .statusCode()).isEqualTo(404);
        for (String list : List.of("/api/v1/licenses", "/api/v1/quota-policies", "/api/v1/providers",
                "/api/v1/users")) {
            HttpResponse<String> seen = call("GET", list, "gwen", null);
            assertThat(seen.statusCode()).as(list).isEqualTo(200);
            assertThat(seen.body()).as(list).doesNotContain(license).doesNotContain(providerId)
                    .doesNotContain(policy).doesNotContain("acme");
        }
        assertThat(call("GET", "/api/v1/audit", "gwen", null).body()).as("globex's audit log holds only globex's actions")
                .contains("\"actor_name\":\"gwen\"").doesNotContain(userId("pat")).doesNotContain("\"pat\"");
        assertThat(call("POST", "/api/v1/quota-policies", "gwen",
                "{\"scope\":\"user\",\"subject\":\"" + userId("alice") + "\",\"requests_per_minute\":1}").statusCode())
                .as("a policy on another tenant's user").isEqualTo(400);
        assertThat(json(call("GET", "/api/v1/quota-policies/" + policy, "pat", null)).get("requests_per_minute")
                .asInt()).isEqualTo(7);
    }

    private void assertStatus(String method, String path, String body, String user, int expected) throws Exception {
        if (expected < 0) {
            return;
        }
        HttpResponse<String> response = call(method, path, user, body);
        assertThat(response.statusCode()).as(user + " " + method + " " + path + ": " + response.body())
                .isEqualTo(expected);
        if (expected >= 400) {
            assertThat(response.headers().firstValue("content-type")).as(user + " " + method + " " + path)
                    .hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        }
    }
}
