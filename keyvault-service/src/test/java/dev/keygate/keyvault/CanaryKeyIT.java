package dev.keygate.keyvault;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A canary key stored through the public API must show up nowhere but in the proxy's resolve answer: not in
 * keyvault's log, not in any response of any other operation, not in any database column but the ciphertext (and
 * not even there, as plaintext).
 */
@ExtendWith(OutputCaptureExtension.class)
class CanaryKeyIT extends KeyvaultIntegrationTest {

    @Test
    void theCanaryAppearsOnlyInTheProxysResolveAnswer(CapturedOutput output) throws Exception {
        String canary = "sk-canary-" + randomToken(24);
        String tenant = "canary";
        List<HttpResponse<String>> responses = new ArrayList<>();

        HttpResponse<String> stored = call(ADMIN, "PUT", "/v1/tenants/" + tenant + "/users/cara/keys/openai?validate=true",
                keyBody(canary));
        responses.add(stored);
        String secretId = JSON.readTree(stored.body()).get("secretId").asString();
        responses.add(call(ADMIN, "PUT", "/v1/tenants/" + tenant + "/keys/openai", keyBody(canary)));
        responses.add(call(ADMIN, "GET", "/v1/tenants/" + tenant + "/users/cara/keys", null));
        responses.add(call(ADMIN, "GET", "/v1/tenants/" + tenant + "/keys", null));
        responses.add(call(ADMIN, "POST", "/v1/tenants/" + tenant + "/key-checks/" + secretId, null));
        responses.add(call(ADMIN, "GET", "/v1/audit?tenantId=" + tenant, null));
        responses.add(call(ADMIN, "POST", "/v1/resolve", resolveBody(tenant, "cara", "openai")));
        responses.add(call(STRANGER, "POST", "/v1/resolve", resolveBody(tenant, "cara", "openai")));
        responses.add(call(OPERATOR, "GET", "/v1/keyring", null));
        responses.add(call(ADMIN, "PUT", "/v1/tenants/" + tenant + "/users/cara/keys/openai",
                "{\"key\":\"" + canary + " with a space\"}"));
        HttpResponse<String> resolved = call(PROXY, "POST", "/v1/resolve", resolveBody(tenant, "cara", "openai"));

        assertThat(JSON.readTree(resolved.body()).get("key").asString()).isEqualTo(canary);
        for (HttpResponse<String> response : responses) {
            assertThat(response.body()).as(response.request().method() + " " + response.uri())
                    .doesNotContain(canary).doesNotContain(canary.substring(3, 20));
        }
        assertThat(PROVIDER.requests()).anySatisfy(request -> assertThat(request.credential()).isEqualTo(canary));
        for (String table : jdbc.queryForList("select table_name from information_schema.tables "
                + "where table_schema = 'public'", String.class)) {
            for (Map<String, Object> row : jdbc.queryForList("select * from " + table)) {
                row.forEach((column, value) -> {
                    String text = value instanceof byte[] bytes
                            ? new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1) : String.valueOf(value);
                    assertThat(text).as(table + "." + column).doesNotContain(canary);
                });
            }
        }
        assertThat(output.getAll()).doesNotContain(canary).doesNotContain(canary.substring(3, 20));
    }
}
