package dev.keygate.admin.quota;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

import dev.keygate.admin.SignedInApiTest;
import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.QuotaPolicyChanged;
import dev.keygate.testkit.TopicRecorder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Quota policies with real Keycloak tokens, through the real outbox (PostgreSQL WAL, Debezium, Kafka): what a
 * platform admin sets reaches every proxy and usage-service as {@code quota-policy.changed}.
 */
class QuotaPolicyIT extends SignedInApiTest {

    private TopicRecorder topic;

    @BeforeEach
    void subscribe() {
        topic = TopicRecorder.subscribe(Topics.ADMIN_QUOTA_POLICIES);
    }

    @AfterEach
    void close() {
        topic.close();
    }

    @Test
    void aPlatformAdminSetsChangesAndDeletesAPolicyAndEveryChangeIsAnnounced() throws Exception {
        String subject = userId("alice");
        HttpResponse<String> created = call("POST", "/api/v1/quota-policies", "pat", """
                {"scope":"user","subject":"%s","requests_per_minute":20,"requests_per_day":500,
                 "tokens_per_month":2000000,"cost_per_month_usd":40.25}""".formatted(subject));

        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode policy = json(created);
        String id = policy.get("id").asString();
        assertThat(created.headers().firstValue("location")).hasValue("/api/v1/quota-policies/" + id);
        assertThat(policy.get("enforcement").asString()).isEqualTo("hard");
        assertThat(policy.get("created_by").asString()).isEqualTo(userId("pat"));
        QuotaPolicyChanged announced = announced(id, "\"requestsPerMinute\":20");
        assertThat(announced.scope()).isEqualTo("user");
        assertThat(announced.subject()).isEqualTo(subject);
        assertThat(announced.tenantId()).isEqualTo("acme");
        assertThat(announced.requestsPerDay()).isEqualTo(500);
        assertThat(announced.tokensPerMonth()).isEqualTo(2_000_000L);
        assertThat(announced.costPerMonthUsd()).isEqualByComparingTo("40.25");
        assertThat(announced.deleted()).isFalse();

        assertThat(call("POST", "/api/v1/quota-policies", "pat",
                "{\"scope\":\"user\",\"subject\":\"" + subject + "\",\"requests_per_day\":1}").statusCode())
                .as("one policy per subject").isEqualTo(409);

        HttpResponse<String> changed = call("PUT", "/api/v1/quota-policies/" + id, "pat",
                "{\"requests_per_minute\":5,\"enforcement\":\"soft\"}");
        assertThat(changed.statusCode()).as(changed.body()).isEqualTo(200);
        assertThat(json(changed).has("requests_per_day")).as("PUT replaces the limits").isFalse();
        QuotaPolicyChanged softened = announced(id, "\"enforcement\":\"soft\"");
        assertThat(softened.requestsPerMinute()).isEqualTo(5);
        assertThat(softened.hard()).isFalse();
        assertThat(json(call("GET", "/api/v1/quota-policies/" + id, "ana", null)).get("enforcement").asString())
                .as("analysts read policies").isEqualTo("soft");

        assertThat(call("DELETE", "/api/v1/quota-policies/" + id, "pat", null).statusCode()).isEqualTo(204);
        assertThat(announced(id, "\"deleted\":true").deleted()).isTrue();
        assertThat(call("GET", "/api/v1/quota-policies/" + id, "pat", null).statusCode()).isEqualTo(404);
    }

    @Test
    void tierAndTenantPoliciesAndTheTierDefaultsOfSeed001() throws Exception {
        JsonNode defaults = json(call("GET", "/api/v1/quota-policies/tier-defaults", "pat", null));
        assertThat(defaults.toString()).contains("{\"tier\":\"pro\",\"requests_per_day\":1000,\"max_activations\":3}");

        HttpResponse<String> tier = call("POST", "/api/v1/quota-policies", "pat",
                "{\"scope\":\"tier\",\"subject\":\"free\",\"requests_per_minute\":10}");
        assertThat(tier.statusCode()).as(tier.body()).isEqualTo(201);
        assertThat(announced(json(tier).get("id").asString(), "\"subject\":\"free\"").requestsPerMinute()).isEqualTo(10);

        // A tier budget: usage-service holds it against the whole tier's spend, proxies refuse the tier's calls.
        HttpResponse<String> budget = call("POST", "/api/v1/quota-policies", "pat",
                "{\"scope\":\"tier\",\"subject\":\"pro\",\"tokens_per_day\":2000000,\"cost_per_month_usd\":300}");
        assertThat(budget.statusCode()).as(budget.body()).isEqualTo(201);
        QuotaPolicyChanged proBudget = announced(json(budget).get("id").asString(), "\"subject\":\"pro\"");
        assertThat(proBudget.scope()).isEqualTo("tier");
        assertThat(proBudget.tokensPerDay()).isEqualTo(2_000_000L);
        assertThat(proBudget.costPerMonthUsd()).isEqualByComparingTo("300");
        assertThat(proBudget.requestsPerDay()).isNull();
        assertThat(proBudget.hard()).isTrue();

        HttpResponse<String> unknownTier = call("POST", "/api/v1/quota-policies", "pat",
                "{\"scope\":\"tier\",\"subject\":\"platinum\",\"requests_per_day\":10}");
        assertThat(unknownTier.statusCode()).isEqualTo(400);
        assertThat(json(unknownTier).get("detail").asString()).contains("free, pro, enterprise");
    }

    @Test
    void refusalsAreProblemsThatNameTheFix() throws Exception {
        assertDetail(call("POST", "/api/v1/quota-policies", "pat", "{\"scope\":\"tenant\"}"), "Set at least one limit");
        assertDetail(call("POST", "/api/v1/quota-policies", "pat", "{\"scope\":\"tenant\",\"subject\":\"x\","
                + "\"requests_per_day\":5}"), "leave out 'subject'");
        assertDetail(call("POST", "/api/v1/quota-policies", "pat", "{\"scope\":\"user\",\"requests_per_day\":5}"),
                "needs a 'subject'");
        assertDetail(call("POST", "/api/v1/quota-policies", "pat", "{\"scope\":\"proxy-key\",\"subject\":\""
                + UUID.randomUUID() + "\",\"requests_per_day\":5}"), "proxy keys");
        assertDetail(call("POST", "/api/v1/quota-policies", "pat", "{\"scope\":\"user\",\"subject\":\""
                + userId("bob") + "\",\"requests_per_day\":5}"), "user of your tenant");
        assertDetail(call("POST", "/api/v1/quota-policies", "pat", "{\"scope\":\"tenant\",\"requests_per_minute\":0}"),
                "requests_per_minute must be between 1");
        assertDetail(call("POST", "/api/v1/quota-policies", "pat", "{\"scope\":\"tenant\",\"cost_per_day_usd\":-1}"),
                "cost_per_day_usd");
        assertDetail(call("POST", "/api/v1/quota-policies", "pat", "{\"scope\":\"tenant\",\"tokens_per_day\":5,"
                + "\"enforcement\":\"maybe\"}"), "'hard'");
        assertDetail(call("POST", "/api/v1/quota-policies", "pat", "{\"scope\":"), "JSON");
    }

    @Test
    void aProxyKeyPolicyNamesAKeyOfTheTenant() throws Exception {
        String key = json(call("POST", "/api/v1/proxy-keys", "alice", "{\"name\":\"quota target\"}")).get("id")
                .asString();

        HttpResponse<String> created = call("POST", "/api/v1/quota-policies", "pat",
                "{\"scope\":\"proxy-key\",\"subject\":\"" + key + "\",\"requests_per_day\":100}");

        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(announced(json(created).get("id").asString(), key).scope()).isEqualTo("proxy-key");
        assertThat(call("POST", "/api/v1/quota-policies", "gwen",
                "{\"scope\":\"proxy-key\",\"subject\":\"" + key + "\",\"requests_per_day\":1}").statusCode())
                .as("another tenant's key").isEqualTo(400);
    }

    private static void assertDetail(HttpResponse<String> response, String fix) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(json(response).get("detail").asString()).contains(fix);
    }

    private QuotaPolicyChanged announced(String policyId, String marker) {
        return JSON.readValue(topic.await(policyId, marker, Duration.ofSeconds(30)).value(), QuotaPolicyChanged.class);
    }
}
