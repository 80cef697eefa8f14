package dev.keygate.keyvault;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which key serves a call: the user's own first, then the organisation's, as the tenant's policy allows; within an
 * owner by priority; a key the provider rejected is skipped for the next one.
 */
class ResolutionPolicyIT extends KeyvaultIntegrationTest {

    @Test
    void theUsersOwnKeyComesBeforeTheOrganisations() throws Exception {
        String tenant = tenant();
        String own = store("users/alice/keys/openai", tenant);
        store("keys/openai", tenant);

        assertThat(resolve(tenant, "alice").get("key").asString()).isEqualTo(own);
        assertThat(resolve(tenant, "alice").get("ownerType").asString()).isEqualTo("user");
    }

    @Test
    void aUserWithoutAKeyIsServedByTheOrganisation() throws Exception {
        String tenant = tenant();
        String organisation = store("keys/openai", tenant);

        JsonNode served = resolve(tenant, "carol");

        assertThat(served.get("key").asString()).isEqualTo(organisation);
        assertThat(served.get("ownerType").asString()).isEqualTo("organisation");
    }

    @Test
    void aKeyTheProviderRejectedIsSkippedForTheNextPriorityThenTheOrganisation() throws Exception {
        String tenant = tenant();
        String primary = store("users/dave/keys/openai", tenant);
        String fallback = store("users/dave/keys/openai?priority=1", tenant);
        String organisation = store("keys/openai", tenant);

        JsonNode first = resolve(tenant, "dave");
        assertThat(first.get("key").asString()).isEqualTo(primary);
        assertThat(call(PROXY, "POST", "/v1/keys/" + first.get("secretId").asString() + "/rejected",
                "{\"reason\":\"401 invalid_api_key\"}").statusCode()).isEqualTo(204);

        JsonNode second = resolve(tenant, "dave");
        assertThat(second.get("key").asString()).isEqualTo(fallback);
        call(PROXY, "POST", "/v1/keys/" + second.get("secretId").asString() + "/rejected", null);

        assertThat(resolve(tenant, "dave").get("key").asString()).isEqualTo(organisation);
        JsonNode listed = json(ADMIN, "GET", "/v1/tenants/" + tenant + "/users/dave/keys", null);
        assertThat(listed.get(0).get("status").asString()).isEqualTo("rejected");
        assertThat(listed.get(0).get("statusReason").asString()).isEqualTo("401 invalid_api_key");
    }

    @Test
    void storingANewKeyInARejectedSlotMakesItUsableAgain() throws Exception {
        String tenant = tenant();
        store("users/erin/keys/openai", tenant);
        call(PROXY, "POST", "/v1/keys/" + resolve(tenant, "erin").get("secretId").asString() + "/rejected", null);
        assertThat(call(PROXY, "POST", "/v1/resolve", resolveBody(tenant, "erin", "openai")).statusCode()).isEqualTo(404);

        String replacement = store("users/erin/keys/openai", tenant);

        assertThat(resolve(tenant, "erin").get("key").asString()).isEqualTo(replacement);
    }

    @Test
    void theTenantsPolicyCanForbidUserKeysOrOrganisationKeys() throws Exception {
        String tenant = tenant();
        store("users/frank/keys/openai", tenant);
        String organisation = store("keys/openai", tenant);

        json(ADMIN, "PUT", "/v1/tenants/" + tenant + "/policy", "{\"allowUserKeys\":false,\"allowOrganisationKeys\":true}");
        assertThat(resolve(tenant, "frank").get("key").asString()).isEqualTo(organisation);

        json(ADMIN, "PUT", "/v1/tenants/" + tenant + "/policy", "{\"allowUserKeys\":false,\"allowOrganisationKeys\":false}");
        assertThat(call(PROXY, "POST", "/v1/resolve", resolveBody(tenant, "frank", "openai")).statusCode()).isEqualTo(404);
    }

    @Test
    void noKeyAtAllIsAClearNoKeyConfiguredAnswer() throws Exception {
        var missing = call(PROXY, "POST", "/v1/resolve", resolveBody(tenant(), "nobody", "brave"));

        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(missing.body()).get("type").asString())
                .isEqualTo("https://keygate.dev/problems/no-key-configured");
        assertThat(JSON.readTree(missing.body()).get("detail").asString()).contains("brave");
    }

    @Test
    void aKeyCheckAgainstTheProviderMarksARejectedKeySoTheResolverSkipsIt() throws Exception {
        String tenant = tenant();
        String doomed = "sk-doomed-" + randomToken(18);
        JsonNode stored = json(ADMIN, "PUT", "/v1/tenants/" + tenant + "/users/gina/keys/openai?validate=true",
                keyBody(doomed));
        assertThat(stored.get("status").asString()).isEqualTo("active");
        assertThat(stored.get("checkedAt").isNull()).isFalse();
        String organisation = store("keys/openai", tenant);

        PROVIDER.rejectCredential(doomed);
        JsonNode checked = json(ADMIN, "POST", "/v1/tenants/" + tenant + "/key-checks/"
                + stored.get("secretId").asString(), null);

        assertThat(checked.get("status").asString()).isEqualTo("rejected");
        assertThat(checked.get("statusReason").asString()).contains("401").doesNotContain(doomed);
        assertThat(resolve(tenant, "gina").get("key").asString()).isEqualTo(organisation);
    }

    private String store(String path, String tenant) throws Exception {
        String key = "sk-" + randomToken(24);
        json(ADMIN, "PUT", "/v1/tenants/" + tenant + "/" + path, keyBody(key));
        return key;
    }

    private JsonNode resolve(String tenant, String user) throws Exception {
        return json(PROXY, "POST", "/v1/resolve", resolveBody(tenant, user, "openai"));
    }

    private static String tenant() {
        return "policy-" + randomToken(6).toLowerCase().replace('_', 'x').replace('-', 'x');
    }
}
