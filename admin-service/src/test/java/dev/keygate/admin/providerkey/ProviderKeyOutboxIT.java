package dev.keygate.admin.providerkey;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.keygate.admin.AdminTestServers;
import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ProviderKeyChanged;
import dev.keygate.testkit.LocalPki;
import dev.keygate.testkit.ServiceCertificate;
import dev.keygate.testkit.TopicRecorder;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.JwtRequestPostProcessor;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.MockMvc;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.jwt;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * Provider-key changes announced through the real outbox (PostgreSQL's write-ahead log, Debezium embedded, a real
 * Kafka broker), with a fake keyvault over mutual TLS that accepts every store and delete. The relayed events must
 * name whose key changed and carry nothing of the key.
 */
@SpringBootTest
@AutoConfigureMockMvc
class ProviderKeyOutboxIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final ConcurrentLinkedQueue<String> VAULT_CALLS = new ConcurrentLinkedQueue<>();
    private static HttpsServer keyvault;

    @Autowired
    MockMvc mvc;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    KeyvaultClient keyvaultClient;

    @Autowired
    ProviderKeyAnnouncements announcements;

    private TopicRecorder topic;

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) throws IOException {
        // A database, replication slot and offset topic of its own: other ITs' contexts may still hold theirs.
        AdminTestServers.register(registry, "admin_provider_keys_it");
        registry.add("keygate.outbox.slot-name", () -> "keygate_admin_provider_keys_it");
        registry.add("keygate.outbox.offset-topic", () -> "keygate.admin.outbox-offsets.provider-keys-it");
        keyvault = startKeyvault();
        registry.add("keygate.keyvault.url", () -> "https://127.0.0.1:" + keyvault.getAddress().getPort());
    }

    @AfterAll
    static void stopKeyvault() {
        keyvault.stop(0);
    }

    @BeforeEach
    void subscribe() {
        topic = TopicRecorder.subscribe(Topics.ADMIN_PROVIDER_KEYS);
    }

    @AfterEach
    void close() {
        topic.close();
    }

    @Test
    void storingReplacingAndDeletingAUsersKeyIsAnnouncedWithoutKeyMaterial() throws Exception {
        String tenant = "t" + UUID.randomUUID().toString().substring(0, 8);
        String first = "sk-first-" + UUID.randomUUID();
        String second = "sk-second-" + UUID.randomUUID();
        String recordKey = tenant + "/alice/openai";

        store("/api/v1/me/provider-keys/openai", developer("alice", tenant), first);
        ProviderKeyChanged stored = awaitChange(recordKey, ProviderKeyChanged.STORED);
        assertThat(stored.tenantId()).isEqualTo(tenant);
        assertThat(stored.userId()).isEqualTo("alice");
        assertThat(stored.provider()).isEqualTo("openai");
        assertThat(stored.occurredAt()).isBefore(Instant.now().plusSeconds(1));

        store("/api/v1/me/provider-keys/openai", developer("alice", tenant), second);
        ProviderKeyChanged replaced = awaitChange(recordKey, ProviderKeyChanged.STORED, stored.eventId());
        assertThat(replaced.occurredAt()).isAfterOrEqualTo(stored.occurredAt());

        mvc.perform(delete("/api/v1/me/provider-keys/openai").with(developer("alice", tenant)))
                .andExpect(status().is2xxSuccessful());
        awaitChange(recordKey, ProviderKeyChanged.DELETED);
        assertThat(topic.records().stream().filter(record -> recordKey.equals(record.key()))
                .map(record -> JSON.readValue(record.value(), ProviderKeyChanged.class).eventId()).distinct())
                .as("stored, replaced, deleted").hasSize(3);

        assertThat(VAULT_CALLS).as("the keys did reach keyvault").anyMatch(call -> call.contains(first))
                .anyMatch(call -> call.contains(second));
        assertNoKeyMaterial(tenant, first, second);
        assertThat(jdbc.queryForObject("select count(*) from outbox_event", Integer.class)).isZero();
    }

    @Test
    void storingAndDeletingAnOrganisationKeyIsAnnouncedForEveryUserOfTheTenant() throws Exception {
        String tenant = "t" + UUID.randomUUID().toString().substring(0, 8);
        String key = "sk-org-" + UUID.randomUUID();
        String recordKey = tenant + "/*/anthropic";

        store("/api/v1/org/provider-keys/anthropic", platformAdmin(tenant), key);
        ProviderKeyChanged stored = awaitChange(recordKey, ProviderKeyChanged.STORED);
        assertThat(stored.userId()).as("an organisation key belongs to no user").isNull();
        assertThat(stored.tenantId()).isEqualTo(tenant);
        assertThat(stored.provider()).isEqualTo("anthropic");

        mvc.perform(delete("/api/v1/org/provider-keys/anthropic").with(platformAdmin(tenant)))
                .andExpect(status().isNoContent());
        awaitChange(recordKey, ProviderKeyChanged.DELETED);

        assertNoKeyMaterial(tenant, key);
    }

    @Test
    void keysImportedFromTheEnvironmentAreAnnouncedAsOrganisationKeys() {
        String tenant = "t" + UUID.randomUUID().toString().substring(0, 8);
        String key = "xai-env-" + UUID.randomUUID();
        LocalKeyImport importer = new LocalKeyImport(keyvaultClient, announcements, tenant);

        importer.importFrom(Map.of("XAI_API_KEY", key)::get);

        ProviderKeyChanged stored = awaitChange(tenant + "/*/xai", ProviderKeyChanged.STORED);
        assertThat(stored.userId()).isNull();
        assertThat(VAULT_CALLS).anyMatch(call -> call.startsWith("PUT /v1/tenants/" + tenant + "/keys/xai")
                && call.contains(key));
        assertNoKeyMaterial(tenant, key);
    }

    @Test
    void aRefusedStoreIsNotAnnounced() throws Exception {
        String tenant = "t" + UUID.randomUUID().toString().substring(0, 8);

        mvc.perform(put("/api/v1/me/provider-keys/openai").with(developer("alice", tenant))
                        .contentType(MediaType.APPLICATION_JSON).content("{\"api_key\": \"  \"}"))
                .andExpect(status().isBadRequest());
        store("/api/v1/me/provider-keys/gemini", developer("alice", tenant), "AIza-" + UUID.randomUUID());
        awaitChange(tenant + "/alice/gemini", ProviderKeyChanged.STORED);

        assertThat(topic.records()).as("only the stored gemini key was announced for this tenant")
                .filteredOn(record -> record.key().startsWith(tenant + "/"))
                .extracting(ConsumerRecord::key).containsOnly(tenant + "/alice/gemini");
    }

    private void store(String path, JwtRequestPostProcessor who, String apiKey) throws Exception {
        String answer = mvc.perform(put(path).with(who).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"api_key\": \"" + apiKey + "\"}"))
                .andExpect(status().is2xxSuccessful())
                .andReturn().getResponse().getContentAsString();
        assertThat(answer).doesNotContain(apiKey);
    }

    private ProviderKeyChanged awaitChange(String recordKey, String action, UUID... notThese) {
        ConsumerRecord<String, String> record = topic.await(candidate -> recordKey.equals(candidate.key())
                && JSON.readValue(candidate.value(), ProviderKeyChanged.class).action().equals(action)
                && java.util.Arrays.stream(notThese).noneMatch(seen -> candidate.value().contains(seen.toString())),
                PATIENCE);
        assertThat(new String(record.headers().lastHeader("eventType").value(), StandardCharsets.UTF_8))
                .isEqualTo(ProviderKeyChanged.TYPE);
        return JSON.readValue(record.value(), ProviderKeyChanged.class);
    }

    /** Not the key, nor what keyvault reports of it (hint, fingerprint, secret id): only whose key changed. */
    private void assertNoKeyMaterial(String tenant, String... keys) {
        List<ConsumerRecord<String, String>> mine = topic.records().stream()
                .filter(record -> record.key().startsWith(tenant + "/")).toList();
        assertThat(mine).isNotEmpty().allSatisfy(record -> {
            for (String key : keys) {
                assertThat(record.value()).doesNotContain(key);
            }
            assertThat(JSON.readTree(record.value()).propertyNames()).containsExactlyInAnyOrder(
                    record.value().contains("userId") ? new String[] {"eventId", "type", "version", "occurredAt",
                            "tenantId", "userId", "provider", "action"}
                            : new String[] {"eventId", "type", "version", "occurredAt", "tenantId", "provider",
                            "action"});
            assertThat(record.value()).doesNotContain(FakeVault.HINT).doesNotContain(FakeVault.FINGERPRINT)
                    .doesNotContain(FakeVault.SECRET_ID.toString());
        });
    }

    private static JwtRequestPostProcessor developer(String user, String tenant) {
        return jwt().jwt(token -> token.subject(user).claim("tenant_id", tenant)
                        .claim("realm_access", Map.of("roles", List.of("developer"))))
                .authorities(new SimpleGrantedAuthority("ROLE_developer"));
    }

    private static JwtRequestPostProcessor platformAdmin(String tenant) {
        return jwt().jwt(token -> token.subject("pat").claim("tenant_id", tenant)
                        .claim("realm_access", Map.of("roles", List.of("platform-admin"))))
                .authorities(new SimpleGrantedAuthority("ROLE_platform-admin"));
    }

    /** keyvault as admin-service sees it: mutual TLS, stores answer metadata, deletes answer 204. */
    private static HttpsServer startKeyvault() throws IOException {
        LocalPki pki = LocalPki.shared();
        ServiceCertificate vault = pki.issue("keyvault-service");
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(vault.sslContext(pki.caCertificate())) {
            @Override
            public void configure(HttpsParameters parameters) {
                parameters.setNeedClientAuth(true);
            }
        });
        server.createContext("/v1/tenants/", FakeVault::handle);
        server.start();
        return server;
    }

    private static final class FakeVault {

        static final UUID SECRET_ID = UUID.randomUUID();
        static final String HINT = "Hq7Z";
        static final String FINGERPRINT = "f1ngerpr1nt0123";

        static void handle(HttpExchange exchange) throws IOException {
            try (exchange; InputStream in = exchange.getRequestBody()) {
                String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                String path = exchange.getRequestURI().getPath();
                VAULT_CALLS.add(exchange.getRequestMethod() + " " + path + " " + body);
                if ("DELETE".equals(exchange.getRequestMethod())) {
                    exchange.sendResponseHeaders(204, -1);
                    return;
                }
                // /v1/tenants/{tenant}/keys/{provider} or /v1/tenants/{tenant}/users/{user}/keys/{provider}
                String[] parts = path.split("/");
                boolean user = parts.length == 8;
                String provider = parts[parts.length - 1];
                byte[] answer = ("{\"secretId\":\"" + SECRET_ID + "\",\"tenantId\":\"" + parts[3] + "\",\"ownerType\":\""
                        + (user ? "user" : "organisation") + "\",\"ownerId\":\"" + (user ? parts[5] : parts[3])
                        + "\",\"provider\":\"" + provider + "\",\"hint\":\"" + HINT + "\",\"fingerprint\":\""
                        + FINGERPRINT + "\",\"masterKeyVersion\":1,\"createdAt\":\"2026-11-22T00:00:00Z\","
                        + "\"updatedAt\":\"2026-11-22T00:00:00Z\",\"priority\":0,\"status\":\"active\"}")
                        .getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, answer.length);
                exchange.getResponseBody().write(answer);
            }
        }
    }
}
