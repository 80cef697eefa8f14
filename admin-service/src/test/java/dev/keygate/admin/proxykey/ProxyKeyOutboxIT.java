package dev.keygate.admin.proxykey;

import dev.keygate.admin.AdminTestServers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ProxyKeyEvent;
import dev.keygate.contracts.admin.v1.ProxyKeyIssued;
import dev.keygate.contracts.admin.v1.ProxyKeyRevoked;
import dev.keygate.testkit.TestKafka;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
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
import static org.awaitility.Awaitility.await;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.jwt;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
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

    private KafkaConsumer<String, String> consumer;
    /** Everything this test's consumer received: two events of one transaction may arrive in one poll. */
    private final List<ConsumerRecord<String, String>> seen = new ArrayList<>();

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) {
        AdminTestServers.register(registry, "admin");
    }

    @BeforeEach
    void subscribe() {
        consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class));
        consumer.subscribe(List.of(Topics.ADMIN_PROXY_KEYS));
    }

    @AfterEach
    void close() {
        consumer.close();
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
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
            return seen.stream().anyMatch(r -> keyId.toString().equals(r.key()) && r.value().contains(type));
        });
        return seen.stream().filter(r -> keyId.toString().equals(r.key()) && r.value().contains(type)).findFirst()
                .orElseThrow();
    }

    private static JwtRequestPostProcessor developer(String user, String tenant) {
        return jwt().jwt(token -> token.subject(user).claim("tenant_id", tenant)
                        .claim("realm_access", Map.of("roles", List.of("developer"))))
                .authorities(new org.springframework.security.core.authority.SimpleGrantedAuthority("ROLE_developer"));
    }
}
