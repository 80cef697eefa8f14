package dev.keygate.usage.ingest;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.usage.v1.TokenUsage;
import dev.keygate.contracts.usage.v1.UsageRecorded;
import dev.keygate.testkit.LocalPostgres;
import dev.keygate.testkit.ServiceDatabase;
import dev.keygate.testkit.TestKafka;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.JwtRequestPostProcessor;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.MockMvc;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.jwt;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * Usage events through a real Kafka broker into a real PostgreSQL ledger, and out again through the reporting API.
 * Tokens are spring-security-test {@code jwt()}; the real Keycloak is exercised by the end-to-end suite.
 */
@SpringBootTest
@AutoConfigureMockMvc
class UsageLedgerIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private static KafkaProducer<String, String> producer;

    @Autowired
    MockMvc mvc;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    MeterRegistry meters;

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) {
        ServiceDatabase database = LocalPostgres.shared().database("usage", false);
        registry.add("spring.datasource.url", database::jdbcUrl);
        registry.add("spring.datasource.username", database::username);
        registry.add("spring.datasource.password", database::password);
        registry.add("spring.kafka.bootstrap-servers", TestKafka::bootstrapServers);
    }

    @BeforeAll
    static void connectProducer() {
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
    }

    @AfterAll
    static void closeProducer() {
        producer.close();
    }

    @Test
    void countsAnEventDeliveredTwiceExactlyOnce() throws Exception {
        String tenant = uniqueTenant();
        Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(5));
        UsageRecorded event = event(tenant, "alice", "gpt-4o", hour.plusSeconds(60), 200,
                new TokenUsage(3_000_000_000L, 17, 2048, 5, 9));
        // Same subject, so the same partition: once this one is stored, both copies before it have been consumed.
        UsageRecorded later = event(tenant, "alice", "gpt-4o", hour.plus(Duration.ofHours(1)), 200, TokenUsage.NONE);

        publish(event);
        publish(event);
        publish(later);

        awaitStored(later.eventId());
        assertThat(jdbc.queryForObject("select count(*) from usage_event where event_id = ?", Integer.class,
                event.eventId())).isEqualTo(1);
        Map<String, Object> hourly = jdbc.queryForMap("""
                select requests, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, errors
                from usage_hourly where tenant_id = ? and hour = ?""", tenant, utc(hour));
        assertThat(hourly).containsEntry("requests", 1L)
                .containsEntry("input_tokens", 3_000_000_000L)
                .containsEntry("output_tokens", 17L)
                .containsEntry("cache_read_tokens", 2048L)
                .containsEntry("cache_write_tokens", 5L)
                .containsEntry("errors", 0L);
    }

    @Test
    void storesEveryFieldAndTokenCountExactly() throws Exception {
        String tenant = uniqueTenant();
        UsageRecorded event = new UsageRecorded(UUID.randomUUID(), UsageRecorded.TYPE, UsageRecorded.VERSION,
                Instant.parse("2026-03-01T10:15:30.123Z"), "eu-west-1", tenant, "alice", "proxy_key",
                "c2f5b9a4-1d1e-4a8e-9a55-1f0c1f6b2a10", "anthropic", "claude-3-haiku-20240307", "messages", true, 200,
                new TokenUsage(9_007_199_254_740_993L, 87, 2048, 1024, 11), 1834, 212L,
                "4bf92f3577b34da6a3ce929d0e0e4736");

        publish(event);

        awaitStored(event.eventId());
        Map<String, Object> row = jdbc.queryForMap("""
                select region, tenant_id, user_id, caller_type, proxy_key_id, provider, model, operation, streamed,
                    status, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
                    latency_ms, first_byte_ms, trace_id, occurred_at = ? as occurred_at_exact
                from usage_event where event_id = ?""", utc(event.occurredAt()), event.eventId());
        assertThat(row).containsEntry("region", "eu-west-1")
                .containsEntry("tenant_id", tenant)
                .containsEntry("user_id", "alice")
                .containsEntry("caller_type", "proxy_key")
                .containsEntry("proxy_key_id", "c2f5b9a4-1d1e-4a8e-9a55-1f0c1f6b2a10")
                .containsEntry("provider", "anthropic")
                .containsEntry("model", "claude-3-haiku-20240307")
                .containsEntry("operation", "messages")
                .containsEntry("streamed", true)
                .containsEntry("status", 200)
                .containsEntry("input_tokens", 9_007_199_254_740_993L)
                .containsEntry("output_tokens", 87L)
                .containsEntry("cache_read_tokens", 2048L)
                .containsEntry("cache_write_tokens", 1024L)
                .containsEntry("reasoning_tokens", 11L)
                .containsEntry("latency_ms", 1834L)
                .containsEntry("first_byte_ms", 212L)
                .containsEntry("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")
                .containsEntry("occurred_at_exact", true);
    }

    @Test
    void deadLettersUnreadableRecordsAndStoresTheGoodOnesAroundThem() throws Exception {
        String tenant = uniqueTenant();
        Instant at = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        UsageRecorded first = event(tenant, "alice", "gpt-4o", at, 200, new TokenUsage(1, 1, 0, 0, 0));
        UsageRecorded second = event(tenant, "alice", "gpt-4o", at, 200, new TokenUsage(2, 2, 0, 0, 0));
        UsageRecorded third = event(tenant, "alice", "gpt-4o", at, 200, new TokenUsage(3, 3, 0, 0, 0));
        String notJson = "{\"eventId\": \"" + UUID.randomUUID() + "\", truncated";
        ObjectNode withoutTenant = JSON.valueToTree(event(tenant, "alice", "gpt-4o", at, 200, TokenUsage.NONE));
        withoutTenant.remove("tenantId");
        String noTenant = JSON.writeValueAsString(withoutTenant);
        double deadLettersBefore = deadLetters();

        try (KafkaConsumer<String, String> deadLetterTopic = subscribe(Topics.USAGE_RECORDED + ".dlt")) {
            String key = first.subjectKey();
            // One flush, one partition: the listener sees these in one batch, or in consecutive ones.
            producer.send(new ProducerRecord<>(Topics.USAGE_RECORDED, key, JSON.writeValueAsString(first)));
            producer.send(new ProducerRecord<>(Topics.USAGE_RECORDED, key, notJson));
            producer.send(new ProducerRecord<>(Topics.USAGE_RECORDED, key, JSON.writeValueAsString(second)));
            producer.send(new ProducerRecord<>(Topics.USAGE_RECORDED, key, noTenant));
            producer.send(new ProducerRecord<>(Topics.USAGE_RECORDED, key, JSON.writeValueAsString(third)));
            producer.flush();

            List<ConsumerRecord<String, String>> deadLetters = new ArrayList<>();
            await().atMost(PATIENCE).until(() -> {
                deadLetterTopic.poll(Duration.ofMillis(200)).forEach(deadLetters::add);
                return deadLetters.stream().map(ConsumerRecord::value).toList().containsAll(List.of(notJson, noTenant));
            });
            assertThat(deadLetters).filteredOn(record -> record.value().equals(noTenant)).first()
                    .satisfies(record -> assertThat(record.key()).isEqualTo(key))
                    .satisfies(record -> assertThat(record.headers().lastHeader("kafka_dlt-exception-message"))
                            .isNotNull());
        }

        awaitStored(first.eventId());
        awaitStored(second.eventId());
        awaitStored(third.eventId());
        assertThat(jdbc.queryForObject("select count(*) from usage_event where tenant_id = ?", Integer.class, tenant))
                .isEqualTo(3);
        assertThat(jdbc.queryForObject("select sum(input_tokens) from usage_hourly where tenant_id = ?", Long.class,
                tenant)).isEqualTo(6L);
        await().atMost(PATIENCE).until(() -> deadLetters() - deadLettersBefore == 2);
    }

    @Test
    void keepsRedeliveringABatchTheLedgerCannotStoreInsteadOfDeadLetteringIt() throws Exception {
        String tenant = uniqueTenant();
        UsageRecorded event = event(tenant, "alice", "gpt-4o", Instant.now(), 200, new TokenUsage(8, 8, 0, 0, 0));
        double deadLettersBefore = deadLetters();
        long rollbacksBefore = rollbacks();
        jdbc.execute("alter table usage_event add constraint usage_event_refuses_tenant check (tenant_id <> '"
                + tenant + "')");
        try {
            publish(event);
            // One round is the first attempt and two retries: more rollbacks than that mean the error handler put the
            // batch back after its retries were exhausted, rather than dead-lettering it.
            await().atMost(PATIENCE).until(() -> rollbacks() >= rollbacksBefore + 4);
        }
        finally {
            jdbc.execute("alter table usage_event drop constraint usage_event_refuses_tenant");
        }

        awaitStored(event.eventId());
        assertThat(deadLetters()).isEqualTo(deadLettersBefore);
        assertThat(jdbc.queryForObject("select requests from usage_hourly where tenant_id = ?", Long.class, tenant))
                .isEqualTo(1);
    }

    @Test
    void analystsSeeOnlyTheirOwnTenantsEventsNewestFirst() throws Exception {
        Instant at = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        UsageRecorded older = event("acme", "alice", "gpt-4o", at.minusSeconds(30), 200, new TokenUsage(5, 6, 0, 0, 0));
        UsageRecorded newer = event("acme", "bob", "gpt-4o", at.minusSeconds(10), 429, TokenUsage.NONE);
        UsageRecorded globex = event("globex", "carol", "gpt-4o", at.minusSeconds(20), 200, TokenUsage.NONE);
        publish(older);
        publish(newer);
        publish(globex);
        awaitStored(older.eventId());
        awaitStored(newer.eventId());
        awaitStored(globex.eventId());

        String body = mvc.perform(get("/api/v1/usage/events").param("limit", "500").with(caller("analyst", "acme")))
                .andExpect(status().isOk())
                .andReturn().getResponse().getContentAsString();

        JsonNode events = JSON.readTree(body);
        List<String> ids = new ArrayList<>();
        events.forEach(event -> {
            assertThat(event.get("tenant_id").asString()).isEqualTo("acme");
            ids.add(event.get("event_id").asString());
        });
        assertThat(ids).containsSubsequence(newer.eventId().toString(), older.eventId().toString())
                .doesNotContain(globex.eventId().toString());
        JsonNode first = events.get(ids.indexOf(older.eventId().toString()));
        assertThat(first.get("input_tokens").asLong()).isEqualTo(5);
        assertThat(first.get("output_tokens").asLong()).isEqualTo(6);
        assertThat(first.get("user_id").asString()).isEqualTo("alice");
    }

    @Test
    void summarisesTokensPerModelForTheCallersTenant() throws Exception {
        String tenant = uniqueTenant();
        Instant hour = Instant.parse("2026-02-01T08:00:00Z");
        publish(event(tenant, "alice", "gpt-4o", hour.plusSeconds(10), 200, new TokenUsage(10, 5, 4, 0, 0)));
        publish(event(tenant, "bob", "gpt-4o", hour.plusSeconds(3599), 500, new TokenUsage(1, 0, 0, 0, 0)));
        publish(event(tenant, "alice", "gpt-4o", hour.plus(Duration.ofHours(3)), 200, new TokenUsage(100, 0, 0, 0, 0)));
        UsageRecorded anthropic = event(tenant, null, "claude-3-haiku-20240307", hour.plusSeconds(60), 200,
                new TokenUsage(7, 3, 0, 2, 0));
        publish(anthropic);
        UsageRecorded otherTenant = event(uniqueTenant(), "alice", "gpt-4o", hour.plusSeconds(10), 200,
                new TokenUsage(1000, 1000, 0, 0, 0));
        publish(otherTenant);
        awaitStored(otherTenant.eventId());
        await().atMost(PATIENCE).until(() -> jdbc.queryForObject(
                "select count(*) from usage_event where tenant_id = ?", Integer.class, tenant) == 4);

        String body = mvc.perform(get("/api/v1/usage/summary")
                        .param("from", "2026-02-01T08:30:00Z").param("to", "2026-02-01T09:00:00Z")
                        .with(caller("platform-admin", tenant)))
                .andExpect(status().isOk())
                .andReturn().getResponse().getContentAsString();

        JsonNode summary = JSON.readTree(body);
        assertThat(summary.get("from").asString()).isEqualTo("2026-02-01T08:00:00Z");
        assertThat(summary.get("to").asString()).isEqualTo("2026-02-01T09:00:00Z");
        assertThat(summary.get("models")).hasSize(2);
        JsonNode claude = summary.get("models").get(0);
        assertThat(claude.get("provider").asString()).isEqualTo("anthropic");
        assertThat(claude.get("requests").asLong()).isEqualTo(1);
        assertThat(claude.get("cache_write_tokens").asLong()).isEqualTo(2);
        JsonNode gpt = summary.get("models").get(1);
        assertThat(gpt.get("model").asString()).isEqualTo("gpt-4o");
        assertThat(gpt.get("requests").asLong()).isEqualTo(2);
        assertThat(gpt.get("input_tokens").asLong()).isEqualTo(11);
        assertThat(gpt.get("output_tokens").asLong()).isEqualTo(5);
        assertThat(gpt.get("cache_read_tokens").asLong()).isEqualTo(4);
        assertThat(gpt.get("errors").asLong()).isEqualTo(1);
    }

    @Test
    void refusalsAreProblemsThatNameTheFix() throws Exception {
        mvc.perform(get("/api/v1/usage/events"))
                .andExpect(status().isUnauthorized())
                .andExpect(result -> assertThat(result.getResponse().getContentType())
                        .startsWith("application/problem+json"));
        mvc.perform(get("/api/v1/usage/events").with(caller("developer", "acme")))
                .andExpect(status().isForbidden())
                .andExpect(result -> assertThat(result.getResponse().getContentType())
                        .startsWith("application/problem+json"))
                .andExpect(result -> assertThat(result.getResponse().getContentAsString()).contains("analyst"));
        mvc.perform(get("/api/v1/usage/events").with(jwt().jwt(token -> token.subject("nobody"))
                        .authorities(new SimpleGrantedAuthority("ROLE_analyst"))))
                .andExpect(status().isForbidden())
                .andExpect(result -> assertThat(result.getResponse().getContentAsString()).contains("tenant"));
        mvc.perform(get("/api/v1/usage/events").param("limit", "501").with(caller("analyst", "acme")))
                .andExpect(status().isBadRequest())
                .andExpect(result -> assertThat(result.getResponse().getContentType())
                        .startsWith("application/problem+json"))
                .andExpect(result -> assertThat(result.getResponse().getContentAsString()).contains("500"));
        mvc.perform(get("/api/v1/usage/summary").param("from", "2026-02-02T00:00:00Z")
                        .param("to", "2026-02-01T00:00:00Z").with(caller("analyst", "acme")))
                .andExpect(status().isBadRequest())
                .andExpect(result -> assertThat(result.getResponse().getContentAsString()).contains("before"));
        mvc.perform(get("/api/v1/usage/summary").with(caller("analyst", "acme")))
                .andExpect(status().isBadRequest())
                .andExpect(result -> assertThat(result.getResponse().getContentType())
                        .startsWith("application/problem+json"));
    }

    private static UsageRecorded event(String tenant, String user, String model, Instant at, int status,
                                       TokenUsage usage) {
        return new UsageRecorded(UUID.randomUUID(), UsageRecorded.TYPE, UsageRecorded.VERSION, at, "eu-west-1",
                tenant, user, "user_token", null, model.startsWith("claude") ? "anthropic" : "openai", model,
                "chat.completions", false, status, usage, 250, 40L, null);
    }

    private static void publish(UsageRecorded event) throws ExecutionException, InterruptedException {
        producer.send(new ProducerRecord<>(Topics.USAGE_RECORDED, event.subjectKey(), JSON.writeValueAsString(event)))
                .get();
    }

    private void awaitStored(UUID eventId) {
        await().atMost(PATIENCE).until(() -> jdbc.queryForObject(
                "select count(*) from usage_event where event_id = ?", Integer.class, eventId) == 1);
    }

    private long rollbacks() {
        return jdbc.queryForObject("select xact_rollback from pg_stat_database where datname = current_database()",
                Long.class);
    }

    private double deadLetters() {
        Counter counter = meters.find("keygate.usage.dead.letters").tag("topic", Topics.USAGE_RECORDED).counter();
        return counter == null ? 0 : counter.count();
    }

    private static KafkaConsumer<String, String> subscribe(String topic) {
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class));
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    private static String uniqueTenant() {
        return "t-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static JwtRequestPostProcessor caller(String role, String tenant) {
        return jwt().jwt(token -> token.subject("someone").claim("tenant_id", tenant)
                        .claim("realm_access", Map.of("roles", List.of(role))))
                .authorities(new SimpleGrantedAuthority("ROLE_" + role));
    }

    private static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }
}
