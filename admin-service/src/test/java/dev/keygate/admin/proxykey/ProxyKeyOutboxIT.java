package dev.keygate.admin.proxykey;

import dev.keygate.admin.AdminTestServers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ProxyKeyEvent;
import dev.keygate.contracts.admin.v1.ProxyKeyIssued;
import dev.keygate.contracts.admin.v1.ProxyKeyLimits;
import dev.keygate.contracts.admin.v1.ProxyKeyRevoked;
import dev.keygate.testkit.TopicRecorder;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.JwtRequestPostProcessor;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.MockMvc;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.jwt;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * Proxy keys through the real outbox: PostgreSQL's write-ahead log, Debezium embedded, a real Kafka broker.
 * Tokens are spring-security-test {@code jwt()}; the real Keycloak is exercised by the end-to-end suite.
 */
@SpringBootTest
@AutoConfigureMockMvc
class ProxyKeyOutboxIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Autowired
    MockMvc mvc;

    @Autowired
    JdbcTemplate jdbc;

    private TopicRecorder topic;

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) {
        AdminTestServers.register(registry, "admin");
    }

    @BeforeEach
    void subscribe() {
        topic = TopicRecorder.subscribe(Topics.ADMIN_PROXY_KEYS);
    }

    @AfterEach
    void close() {
        topic.close();
    }

    @Test
    void issuingAndRevokingAProxyKeyReachesKafkaThroughTheOutbox() throws Exception {
        String body = mvc.perform(post("/api/v1/proxy-keys").with(developer("alice", "acme"))
                        .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"laptop\",\"providers\":[\"openai\"]}"))
                .andExpect(status().isCreated())
                .andReturn().getResponse().getContentAsString();
        JsonNode created = JSON.readTree(body);
        String key = created.get("key").asString();
        UUID id = UUID.fromString(created.get("id").asString());
        assertThat(key).startsWith("px_").hasSize(46);

        ConsumerRecord<String, String> issuedRecord = awaitRecord(id, ProxyKeyIssued.TYPE);
        ProxyKeyIssued issued = (ProxyKeyIssued) JSON.readValue(issuedRecord.value(), ProxyKeyEvent.class);
        assertThat(issued.keyHash()).isEqualTo(ProxyKeys.sha256(key));
        assertThat(issued.userId()).isEqualTo("alice");
        assertThat(issued.providers()).containsExactly("openai");
        assertThat(issuedRecord.value()).doesNotContain(key);
        assertThat(new String(issuedRecord.headers().lastHeader("eventType").value())).isEqualTo(ProxyKeyIssued.TYPE);

        mvc.perform(delete("/api/v1/proxy-keys/" + id).with(developer("alice", "acme"))).andExpect(status().isOk());
        ProxyKeyRevoked revoked = (ProxyKeyRevoked) JSON.readValue(awaitRecord(id, ProxyKeyRevoked.TYPE).value(),
                ProxyKeyEvent.class);
        assertThat(revoked.keyHash()).isEqualTo(issued.keyHash());

        assertThat(jdbc.queryForObject("select count(*) from outbox_event", Integer.class)).isZero();
        assertThat(jdbc.queryForList("select method, path, status from admin_audit where actor_id = 'alice' "
                + "and tenant_id = 'acme' and path = '/api/v1/proxy-keys/" + id + "'"))
                .as("the revocation is in the admin audit log").singleElement()
                .satisfies(row -> assertThat(row).containsEntry("method", "DELETE").containsEntry("status", 200));
        assertThat(jdbc.queryForList("select * from proxy_key").toString()).doesNotContain(key);
    }

    @Test
    void rotatingIssuesASuccessorAndLetsTheOldKeyWorkOnlyThroughTheGracePeriod() throws Exception {
        String body = mvc.perform(post("/api/v1/proxy-keys").with(developer("alice", "acme"))
                        .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"rotating\",\"providers\":[\"openai\"]}"))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        JsonNode old = JSON.readTree(body);
        UUID oldId = UUID.fromString(old.get("id").asString());
        java.time.Instant before = java.time.Instant.now();

        String rotated = mvc.perform(post("/api/v1/proxy-keys/" + oldId + "/rotate?grace=PT1H")
                        .with(developer("alice", "acme")))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();

        JsonNode successor = JSON.readTree(rotated);
        assertThat(successor.get("key").asString()).startsWith("px_").isNotEqualTo(old.get("key").asString());
        assertThat(successor.get("providers").toString()).isEqualTo("[\"openai\"]");
        UUID newId = UUID.fromString(successor.get("id").asString());
        awaitRecord(newId, ProxyKeyIssued.TYPE);
        ProxyKeyIssued oldState = (ProxyKeyIssued) JSON.readValue(awaitRecord(oldId, "expiresAt").value(),
                ProxyKeyEvent.class);
        assertThat(oldState.keyHash()).isEqualTo(ProxyKeys.sha256(old.get("key").asString()));
        assertThat(oldState.expiresAt()).isBetween(before.plusSeconds(3590), before.plusSeconds(3700));

        mvc.perform(post("/api/v1/proxy-keys/" + oldId + "/rotate?grace=P30D").with(developer("alice", "acme")))
                .andExpect(status().isBadRequest());
    }

    @Test
    void aKeyScopedToModelsWithLimitsCarriesThemToEveryProxyAndItsScopeCanChange() throws Exception {
        String body = mvc.perform(post("/api/v1/proxy-keys").with(developer("alice", "acme"))
                        .contentType(MediaType.APPLICATION_JSON).content("""
                                {"name":"batch job","providers":["openai"],"models":["gpt-4o-mini"],
                                 "requests_per_minute":30,"requests_per_day":2000,"monthly_budget_usd":12.50}"""))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        JsonNode created = JSON.readTree(body);
        UUID id = UUID.fromString(created.get("id").asString());
        assertThat(created.get("models").toString()).isEqualTo("[\"gpt-4o-mini\"]");
        assertThat(created.get("requests_per_minute").asInt()).isEqualTo(30);
        assertThat(created.get("monthly_budget_usd").decimalValue()).isEqualByComparingTo("12.50");

        ProxyKeyIssued issued = (ProxyKeyIssued) JSON.readValue(awaitRecord(id, "gpt-4o-mini").value(),
                ProxyKeyEvent.class);
        assertThat(issued.models()).containsExactly("gpt-4o-mini");
        assertThat(issued.limits().requestsPerMinute()).isEqualTo(30);
        assertThat(issued.limits().requestsPerDay()).isEqualTo(2000);
        assertThat(issued.limits().monthlyBudgetUsd()).isEqualByComparingTo("12.50");

        String changed = mvc.perform(put("/api/v1/proxy-keys/" + id + "/scope").with(developer("alice", "acme"))
                        .contentType(MediaType.APPLICATION_JSON)
                        .content("{\"providers\":[\"openai\",\"anthropic\"],\"requests_per_minute\":5}"))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        assertThat(JSON.readTree(changed).get("providers").toString()).isEqualTo("[\"openai\",\"anthropic\"]");
        ProxyKeyIssued rescoped = (ProxyKeyIssued) JSON.readValue(awaitRecord(id, "\"requestsPerMinute\":5").value(),
                ProxyKeyEvent.class);
        assertThat(rescoped.keyHash()).isEqualTo(issued.keyHash());
        assertThat(rescoped.models()).isEmpty();
        assertThat(rescoped.limits()).isEqualTo(new ProxyKeyLimits(5, null, null));

        mvc.perform(put("/api/v1/proxy-keys/" + id + "/scope").with(developer("bob", "globex"))
                        .contentType(MediaType.APPLICATION_JSON).content("{}"))
                .andExpect(status().isNotFound());
        mvc.perform(post("/api/v1/proxy-keys").with(developer("alice", "acme"))
                        .contentType(MediaType.APPLICATION_JSON).content("{\"requests_per_minute\":0}"))
                .andExpect(status().isBadRequest())
                .andExpect(result -> assertThat(result.getResponse().getContentAsString())
                        .contains("requests_per_minute must be between 1 and"));
    }

    @Test
    void anotherUserCannotRevokeMyKey() throws Exception {
        String body = mvc.perform(post("/api/v1/proxy-keys").with(developer("alice", "acme")))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        String id = JSON.readTree(body).get("id").asString();

        mvc.perform(delete("/api/v1/proxy-keys/" + id).with(developer("mallory", "acme")))
                .andExpect(status().isNotFound());
        mvc.perform(delete("/api/v1/proxy-keys/" + id).with(developer("alice", "globex")))
                .andExpect(status().isNotFound());
    }

    @Test
    void refusalsAreProblemsThatNameTheFix() throws Exception {
        mvc.perform(post("/api/v1/proxy-keys"))
                .andExpect(status().isUnauthorized())
                .andExpect(result -> assertThat(result.getResponse().getContentType()).startsWith("application/problem+json"));
        mvc.perform(post("/api/v1/proxy-keys").with(jwt().jwt(token -> token.subject("nobody"))
                        .authorities(new org.springframework.security.core.authority.SimpleGrantedAuthority("ROLE_developer"))))
                .andExpect(status().isForbidden())
                .andExpect(result -> assertThat(result.getResponse().getContentAsString()).contains("tenant"));
        mvc.perform(post("/api/v1/proxy-keys").with(developer("alice", "acme"))
                        .contentType(MediaType.APPLICATION_JSON).content("{\"expires_at\":\"2001-01-01T00:00:00Z\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(result -> assertThat(result.getResponse().getContentAsString()).contains("future"));
    }

    private ConsumerRecord<String, String> awaitRecord(UUID keyId, String type) {
        return topic.await(keyId.toString(), type, Duration.ofSeconds(30));
    }

    private static JwtRequestPostProcessor developer(String user, String tenant) {
        return jwt().jwt(token -> token.subject(user).claim("tenant_id", tenant)
                        .claim("realm_access", Map.of("roles", List.of("developer"))))
                .authorities(new org.springframework.security.core.authority.SimpleGrantedAuthority("ROLE_developer"));
    }
}
