package dev.keygate.keyvault;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLContext;

import dev.keygate.testkit.LocalPki;
import dev.keygate.testkit.ServiceCertificate;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalManagementPort;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** keyvault over real mutual TLS and a real PostgreSQL: who may store, who may decrypt, and what is left behind. */
class KeyvaultAccessIT extends KeyvaultIntegrationTest {

    private static final String OPENAI_KEY = "sk-proj-" + randomToken(24);

    @LocalManagementPort
    int managementPort;

    @Test
    void adminStoresAKeyAndOnlyTheProxyGetsItBack() throws Exception {
        HttpResponse<String> stored = call(ADMIN, "PUT", "/v1/tenants/acme/users/alice/keys/openai",
                "{\"key\":\"" + OPENAI_KEY + "\"}");
        assertThat(stored.statusCode()).isEqualTo(200);
        JsonNode metadata = JSON.readTree(stored.body());
        assertThat(metadata.get("hint").asString()).isEqualTo(OPENAI_KEY.substring(OPENAI_KEY.length() - 4));
        assertThat(stored.body()).doesNotContain(OPENAI_KEY);

        HttpResponse<String> resolved = call(PROXY, "POST", "/v1/resolve",
                "{\"tenantId\":\"acme\",\"userId\":\"alice\",\"provider\":\"openai\"}");
        assertThat(resolved.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(resolved.body()).get("key").asString()).isEqualTo(OPENAI_KEY);

        HttpResponse<String> byAdmin = call(ADMIN, "POST", "/v1/resolve",
                "{\"tenantId\":\"acme\",\"userId\":\"alice\",\"provider\":\"openai\"}");
        assertThat(byAdmin.statusCode()).isEqualTo(403);
        assertThat(byAdmin.headers().firstValue("content-type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(byAdmin.body()).doesNotContain(OPENAI_KEY).contains("identity-not-allowed");

        HttpResponse<String> listed = call(ADMIN, "GET", "/v1/tenants/acme/users/alice/keys", null);
        assertThat(listed.statusCode()).isEqualTo(200);
        assertThat(listed.body()).contains("openai").doesNotContain(OPENAI_KEY);
    }

    @Test
    void proxyCannotStoreKeysAndAnUnlistedIdentityCannotDoAnything() throws Exception {
        assertThat(call(PROXY, "PUT", "/v1/tenants/acme/users/mallory/keys/openai", "{\"key\":\"sk-0123456789abc\"}")
                .statusCode()).isEqualTo(403);
        assertThat(call(STRANGER, "POST", "/v1/resolve",
                "{\"tenantId\":\"acme\",\"userId\":\"alice\",\"provider\":\"openai\"}").statusCode()).isEqualTo(403);
    }

    @Test
    void aClientWithoutACertificateNeverCompletesTheHandshake() {
        SSLContext anonymous = ServiceCertificate.anonymousSslContext(PKI.caCertificate());

        assertThatThrownBy(() -> send(anonymous, "POST", "/v1/resolve",
                "{\"tenantId\":\"acme\",\"userId\":\"alice\",\"provider\":\"openai\"}"))
                .isInstanceOf(IOException.class);
    }

    @Test
    void aCertificateFromAnotherCaIsRefused() {
        ServiceCertificate forged = LocalPki.untrusted().issue("proxy-service");

        assertThatThrownBy(() -> send(forged.sslContext(PKI.caCertificate()), "POST", "/v1/resolve",
                "{\"tenantId\":\"acme\",\"userId\":\"alice\",\"provider\":\"openai\"}"))
                .isInstanceOf(IOException.class);
    }

    @Test
    void healthIsServedWithoutACertificateOnlyOnTheManagementPort() throws Exception {
        HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + managementPort + "/actuator/health")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("UP");
        assertThat(call(PROXY, "GET", "/actuator/health", null).statusCode()).isIn(403, 404);
    }

    @Test
    void aMissingKeyIsAProblemTheProxyCanTranslate() throws Exception {
        HttpResponse<String> missing = call(PROXY, "POST", "/v1/resolve",
                "{\"tenantId\":\"acme\",\"userId\":\"nobody\",\"provider\":\"anthropic\"}");

        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(missing.body()).get("type").asString())
                .isEqualTo("https://keygate.dev/problems/no-key-configured");
    }

    @Test
    void anInvalidKeyIsRefusedWithAProblemThatNamesTheFix() throws Exception {
        HttpResponse<String> refused = call(ADMIN, "PUT", "/v1/tenants/acme/users/alice/keys/openai",
                "{\"key\":\"sk with a space\"}");

        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("whitespace").doesNotContain("sk with a space");
    }

    @Test
    void theDatabaseHoldsNoPlaintextAndAuditsEveryDecryptAndRefusal() throws Exception {
        adminStoresAKeyAndOnlyTheProxyGetsItBack();

        List<Map<String, Object>> rows = jdbc.queryForList("select * from stored_key");
        assertThat(rows).isNotEmpty();
        for (Map<String, Object> row : rows) {
            for (Object value : row.values()) {
                String text = value instanceof byte[] bytes ? new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1)
                        : String.valueOf(value);
                assertThat(text).doesNotContain(OPENAI_KEY).doesNotContain(OPENAI_KEY.substring(8));
            }
        }
        assertThat(jdbc.queryForList("select * from audit_event").toString()).doesNotContain(OPENAI_KEY);
        assertThat(jdbc.queryForObject("select count(*) from audit_event where action = 'decrypt' and outcome = 'ok' "
                + "and caller = 'spiffe://keygate/proxy-service'", Integer.class)).isPositive();
        assertThat(jdbc.queryForObject("select count(*) from audit_event where outcome = 'refused' "
                + "and caller = 'spiffe://keygate/admin-service'", Integer.class)).isPositive();
    }
}
