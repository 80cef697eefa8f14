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
import dev.keygate.contracts.admin.v1.ModelPriced;
import dev.keygate.contracts.admin.v1.ProxyKeyIssued;
import dev.keygate.contracts.admin.v1.ProxyKeyLimits;
import dev.keygate.contracts.admin.v1.QuotaPolicyChanged;
import dev.keygate.contracts.usage.v1.BudgetShareGranted;
import dev.keygate.contracts.usage.v1.BudgetShareRequested;
import dev.keygate.contracts.usage.v1.BudgetState;
import dev.keygate.contracts.usage.v1.TokenUsage;
import dev.keygate.contracts.usage.v1.UsageRecorded;
import dev.keygate.usage.AlertWebhookReceiver;
import dev.keygate.usage.LedgerContext;
import dev.keygate.testkit.TestKafka;
import dev.keygate.testkit.TopicRecorder;
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
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.JwtRequestPostProcessor;
import org.springframework.test.web.servlet.MockMvc;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.jwt;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * Usage events through a real Kafka broker into a real PostgreSQL ledger, and out again through the reporting API.
 * Tokens are spring-security-test {@code jwt()}; the real Keycloak is exercised by the end-to-end suite.
 */
class UsageLedgerIT extends LedgerContext {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private static KafkaProducer<String, String> producer;

    @Autowired
    MockMvc mvc;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    MeterRegistry meters;

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
                from usage_model_hourly where tenant_id = ? and hour = ?""", tenant, utc(hour));
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
                "4bf92f3577b34da6a3ce929d0e0e4736", null, "enterprise");

        publish(event);

        awaitStored(event.eventId());
        Map<String, Object> row = jdbc.queryForMap("""
                select region, tenant_id, user_id, caller_type, proxy_key_id, provider, model, operation, streamed,
                    status, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
                    latency_ms, first_byte_ms, trace_id, tier, occurred_at = ? as occurred_at_exact
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
                .containsEntry("tier", "enterprise")
                .containsEntry("occurred_at_exact", true);
        assertThat(jdbc.queryForObject("select tier from usage_rollup_hourly where tenant_id = ?", String.class,
                tenant)).isEqualTo("enterprise");
        JsonNode listed = JSON.readTree(mvc.perform(get("/api/v1/usage/events").with(caller("analyst", tenant)))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString());
        assertThat(listed).singleElement().satisfies(entry ->
                assertThat(entry.get("tier").asString()).isEqualTo("enterprise"));
    }

    @Test
    void aTierBudgetCountsEveryLicenseOfTheTierTogetherAndIsPublishedForProxies() throws Exception {
        String tenant = uniqueTenant();
        try (TopicRecorder states = TopicRecorder.subscribe(Topics.USAGE_BUDGET_STATE)) {
            QuotaPolicyChanged pro = new QuotaPolicyChanged(UUID.randomUUID(), null, 0, Instant.now(),
                    UUID.randomUUID(), tenant, "tier", "pro", null, 500, 1_000L, null, null, null, "hard", false);
            producer.send(new ProducerRecord<>(Topics.ADMIN_QUOTA_POLICIES, pro.policyId().toString(),
                    JSON.writeValueAsString(pro))).get();
            String budget = tenant + "/tier/pro/" + pro.policyId() + "/day";
            BudgetState fresh = JSON.readValue(states.await(record -> budget.equals(record.key()), PATIENCE).value(),
                    BudgetState.class);
            assertThat(fresh.scope()).isEqualTo("tier");
            assertThat(fresh.subject()).isEqualTo("pro");
            assertThat(fresh.limitTokens()).isEqualTo(1_000);
            assertThat(fresh.hard()).isTrue();
            assertThat(fresh.exhausted()).isFalse();

            // Two licenses of the tier (600 + 500 tokens), one of another tier, and a caller without one.
            List<UsageRecorded> calls = List.of(
                    tiered(tenant, "license:a", "key-a", "pro", new TokenUsage(400, 200, 0, 0, 0)),
                    tiered(tenant, "license:b", "key-b", "pro", new TokenUsage(300, 200, 0, 0, 0)),
                    tiered(tenant, "license:c", "key-c", "free", new TokenUsage(5_000, 0, 0, 0, 0)),
                    tiered(tenant, "alice", null, null, new TokenUsage(7_000, 0, 0, 0, 0)));
            for (UsageRecorded call : calls) {
                publish(call);
            }
            calls.forEach(call -> awaitStored(call.eventId()));

            BudgetState exhausted = JSON.readValue(states.await(record -> budget.equals(record.key())
                    && record.value().contains("\"exhausted\":true"), PATIENCE).value(), BudgetState.class);
            assertThat(exhausted.spentTokens()).as("the whole tier, not one license").isEqualTo(1_100);
            assertThat(jdbc.queryForList("""
                    select subject || '=' || tokens from budget_spend
                    where tenant_id = ? and scope = 'tier' and period = 'day' order by subject""", String.class, tenant))
                    .containsExactly("free=5000", "pro=1100");
            assertThat(jdbc.queryForList("""
                    select tier || '=' || sum(requests) from usage_rollup_hourly where tenant_id = ?
                    group by tier order by tier""", String.class, tenant)).containsExactly("=1", "free=1", "pro=2");
            await().atMost(PATIENCE).until(() -> AlertWebhookReceiver.get().bodies().stream().anyMatch(body -> body
                    .contains("License tier pro of " + tenant + ": hard daily budget (" + pro.policyId()
                            + ") is spent: calls are refused until it renews; 1100 of 1000 tokens.")));
        }
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
        assertThat(jdbc.queryForObject("select sum(input_tokens) from usage_model_hourly where tenant_id = ?", Long.class,
                tenant)).isEqualTo(6L);
        await().atMost(PATIENCE).until(() -> deadLetters() - deadLettersBefore == 2);

        // The admin view: the tenant's platform admin sees both, where they were and why, never their content.
        await().atMost(PATIENCE).until(() -> jdbc.queryForObject(
                "select count(*) from dead_letter where tenant_id = ?", Integer.class, tenant) == 2);
        mvc.perform(get("/api/v1/ledger/dead-letters").with(caller("platform-admin", tenant)))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$[?(@.tenant_id == '" + tenant + "')]", org.hamcrest.Matchers.hasSize(2)))
                .andExpect(jsonPath("$[?(@.tenant_id == '" + tenant + "')].reason",
                        org.hamcrest.Matchers.everyItem(org.hamcrest.Matchers.notNullValue())))
                .andExpect(jsonPath("$[0].source_topic").value(Topics.USAGE_RECORDED))
                .andExpect(jsonPath("$[0].size_bytes").isNumber())
                .andExpect(jsonPath("$[0].value").doesNotExist());
        mvc.perform(get("/api/v1/ledger/dead-letters").with(caller("platform-admin", uniqueTenant())))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$[?(@.tenant_id == '" + tenant + "')]").isEmpty());
        mvc.perform(get("/api/v1/ledger/dead-letters").with(caller("analyst", tenant)))
                .andExpect(status().isForbidden());
    }

    @Test
    void keepsRedeliveringABatchTheLedgerCannotStoreInsteadOfDeadLetteringIt() throws Exception {
        String tenant = uniqueTenant();
        UsageRecorded event = event(tenant, "alice", "gpt-4o", Instant.now(), 200, new TokenUsage(8, 8, 0, 0, 0));
        double deadLettersBefore = deadLetters();
        // A trigger refuses the tenant's rows and counts each refused attempt in a sequence, which a rollback does not
        // undo (PostgreSQL's own rollback statistics reach pg_stat_database only seconds later).
        jdbc.execute("create sequence refused_attempts");
        jdbc.execute("""
                create function refuse_tenant() returns trigger language plpgsql as $$
                begin
                    if new.tenant_id = '%s' then
                        perform nextval('refused_attempts');
                        raise exception 'refused for the test';
                    end if;
                    return new;
                end $$""".formatted(tenant));
        jdbc.execute("create trigger usage_event_refuses_tenant before insert on usage_event for each row"
                + " execute function refuse_tenant()");
        try {
            publish(event);
            // One round is the first attempt and two retries: more attempts than that mean the error handler put the
            // batch back after its retries were exhausted, rather than dead-lettering it.
            await().atMost(PATIENCE).until(() -> jdbc.queryForObject(
                    "select case when is_called then last_value else 0 end from refused_attempts", Long.class) >= 4);
        }
        finally {
            jdbc.execute("drop trigger usage_event_refuses_tenant on usage_event");
            jdbc.execute("drop function refuse_tenant()");
            jdbc.execute("drop sequence refused_attempts");
        }

        awaitStored(event.eventId());
        assertThat(deadLetters()).isEqualTo(deadLettersBefore);
        assertThat(jdbc.queryForObject("select requests from usage_model_hourly where tenant_id = ?", Long.class, tenant))
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

    @Test
    void pricesEachCallWithThePriceInForceWhenItHappenedCachedTokensIncluded() throws Exception {
        String tenant = uniqueTenant();
        // A tenant's own prices (which win over predefined ones) keep this test apart from every other.
        publishPrice(tenant, "openai", "gpt-4o-mini", "2026-01-01T00:00:00Z", "0.15", "0.60", "0.075", "0");
        publishPrice(tenant, "openai", "gpt-4o-mini", "2026-06-01T00:00:00Z", "1.50", "6.00", "0.75", "0");
        publishPrice(tenant, "anthropic", "claude-sonnet-4-5", "2026-01-01T00:00:00Z", "3", "15", "0.30", "3.75");
        awaitPrices(tenant, 3);
        Instant march = Instant.parse("2026-03-10T09:15:00Z");
        // OpenAI: 1,000,000 prompt tokens of which 400,000 were cached, 200,000 completion tokens.
        UsageRecorded openAi = event(tenant, "alice", "gpt-4o-mini-2024-07-18", march, 200,
                new TokenUsage(1_000_000, 200_000, 400_000, 0, 0));
        // The same call after the price changed on 1 June.
        UsageRecorded openAiLater = event(tenant, "alice", "gpt-4o-mini", Instant.parse("2026-07-10T09:15:00Z"), 200,
                new TokenUsage(1_000_000, 200_000, 400_000, 0, 0));
        // Anthropic: 1,000 uncached input, 20,000 read from and 5,000 written to the cache, 2,000 output tokens.
        UsageRecorded anthropic = event(tenant, "alice", "claude-sonnet-4-5", march.plusSeconds(60), 200,
                new TokenUsage(26_000, 2_000, 20_000, 5_000, 0));
        UsageRecorded unknown = event(tenant, "alice", "mystery-1", march.plusSeconds(120), 200,
                new TokenUsage(10, 10, 0, 0, 0));

        for (UsageRecorded event : List.of(openAi, openAiLater, anthropic, unknown)) {
            publish(event);
        }
        List.of(openAi, openAiLater, anthropic, unknown).forEach(event -> awaitStored(event.eventId()));

        // 600,000 × 0.15 + 400,000 × 0.075 + 200,000 × 0.60, per million = 0.09 + 0.03 + 0.12
        assertThat(cost(openAi)).isEqualByComparingTo("0.24");
        assertThat(cost(openAiLater)).isEqualByComparingTo("2.40");
        // 1,000 × 3 + 20,000 × 0.30 + 5,000 × 3.75 + 2,000 × 15, per million = 0.003 + 0.006 + 0.01875 + 0.03
        assertThat(cost(anthropic)).isEqualByComparingTo("0.05775");
        assertThat(cost(unknown)).as("no price for this model yet").isNull();
        Map<String, Object> hour = jdbc.queryForMap("""
                select sum(cost_usd) as cost, sum(unpriced_requests) as unpriced from usage_model_hourly
                where tenant_id = ? and hour = ?""", tenant, utc(march.truncatedTo(ChronoUnit.HOURS)));
        assertThat((java.math.BigDecimal) hour.get("cost")).isEqualByComparingTo("0.29775");
        assertThat(((Number) hour.get("unpriced")).longValue()).isEqualTo(1);

        JsonNode summary = JSON.readTree(mvc.perform(get("/api/v1/usage/summary")
                        .param("from", "2026-03-10T00:00:00Z").param("to", "2026-03-11T00:00:00Z")
                        .with(caller("analyst", tenant)))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString());
        assertThat(summary.get("models").toString())
                .contains("\"model\":\"gpt-4o-mini-2024-07-18\"")
                .contains("\"cost_usd\":0.24").contains("\"unpriced_requests\":1");
    }

    @Test
    void reratingAppliesACorrectionToPastCallsAndTheirHourlyTotals() throws Exception {
        String tenant = uniqueTenant();
        publishPrice(tenant, "openai", "gpt-4.1", "2026-02-01T00:00:00Z", "2", "8", "0.5", "0");
        awaitPrices(tenant, 1);
        Instant at = Instant.parse("2026-02-14T12:30:00Z");
        UsageRecorded call = withTier(event(tenant, "bob", "gpt-4.1", at, 200,
                new TokenUsage(500_000, 100_000, 0, 0, 0)), "pro");
        UsageRecorded unpriced = event(tenant, "bob", "gpt-4.1-nano", at.plusSeconds(5), 200,
                new TokenUsage(1_000_000, 0, 0, 0, 0));
        publish(call);
        publish(unpriced);
        awaitStored(call.eventId());
        awaitStored(unpriced.eventId());
        assertThat(cost(call)).isEqualByComparingTo("1.80");

        // The list price was wrong from the start; a new model's price arrives after its calls.
        publishPrice(tenant, "openai", "gpt-4.1", "2026-02-01T00:00:00Z", "1", "4", "0.25", "0");
        publishPrice(tenant, "openai", "gpt-4.1-nano", "2026-01-01T00:00:00Z", "0.10", "0.40", null, null);
        awaitPrices(tenant, 3);
        assertThat(cost(call)).as("recorded costs change only when asked to").isEqualByComparingTo("1.80");

        mvc.perform(post("/api/v1/ledger/rerate").param("from", "2026-02-14T12:00:00Z")
                        .param("to", "2026-02-14T13:00:00Z").with(caller("analyst", tenant)))
                .andExpect(status().isForbidden());
        JsonNode result = JSON.readTree(mvc.perform(post("/api/v1/ledger/rerate")
                        .param("from", "2026-02-14T12:10:00Z").param("to", "2026-02-14T12:40:00Z")
                        .with(caller("platform-admin", tenant)))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString());

        assertThat(result.get("from").asString()).isEqualTo("2026-02-14T12:00:00Z");
        assertThat(result.get("events").asInt()).isEqualTo(2);
        assertThat(result.get("cost_before").decimalValue()).isEqualByComparingTo("1.80");
        // 500,000 × 1 + 100,000 × 4 = 0.90; 1,000,000 × 0.10 = 0.10
        assertThat(result.get("cost_after").decimalValue()).isEqualByComparingTo("1.00");
        assertThat(result.get("unpriced_requests").asLong()).isZero();
        assertThat(cost(call)).isEqualByComparingTo("0.90");
        assertThat(cost(unpriced)).isEqualByComparingTo("0.10");
        assertThat(jdbc.queryForObject("select sum(cost_usd) from usage_model_hourly where tenant_id = ?",
                java.math.BigDecimal.class, tenant)).isEqualByComparingTo("1.00");
        assertThat(jdbc.queryForList("""
                select tier || '=' || cost_usd::numeric(10, 2) || '/' || unpriced_requests from usage_rollup_hourly
                where tenant_id = ? order by tier""", String.class, tenant))
                .as("each tier's rollup re-rated, none merged into another").containsExactly("=0.10/0", "pro=0.90/0");
        mvc.perform(post("/api/v1/ledger/rerate").param("from", "2026-02-14T13:00:00Z")
                        .param("to", "2026-02-14T12:00:00Z").with(caller("platform-admin", tenant)))
                .andExpect(status().isBadRequest());
    }

    @Test
    void budgetsAreEvaluatedFromTheLedgerAndTheirStateIsPublishedForProxies() throws Exception {
        String tenant = uniqueTenant();
        UUID keyId = UUID.randomUUID();
        publishPrice(tenant, "openai", "gpt-4o", "2026-01-01T00:00:00Z", "2.50", "10", "1.25", "0");
        awaitPrices(tenant, 1);
        try (TopicRecorder states = TopicRecorder.subscribe(Topics.USAGE_BUDGET_STATE)) {
            QuotaPolicyChanged daily = new QuotaPolicyChanged(UUID.randomUUID(), null, 0, Instant.now(),
                    UUID.randomUUID(), tenant, "tenant", null, null, null, null, null, new java.math.BigDecimal("1.00"),
                    null, "soft", false);
            producer.send(new ProducerRecord<>(Topics.ADMIN_QUOTA_POLICIES, daily.policyId().toString(),
                    JSON.writeValueAsString(daily))).get();
            ProxyKeyIssued key = new ProxyKeyIssued(UUID.randomUUID(), 0, Instant.now(), keyId, tenant, "alice",
                    "c".repeat(64), "abcd", List.of(), null, null, null, List.of(),
                    new ProxyKeyLimits(null, null, new java.math.BigDecimal("0.50")), null);
            producer.send(new ProducerRecord<>(Topics.ADMIN_PROXY_KEYS, keyId.toString(),
                    JSON.writeValueAsString(key))).get();
            String keyBudget = tenant + "/proxy-key/" + keyId + "/proxy-key/month";
            BudgetState fresh = JSON.readValue(states.await(record -> keyBudget.equals(record.key()),
                    PATIENCE).value(), BudgetState.class);
            assertThat(fresh.exhausted()).isFalse();
            assertThat(fresh.limitUsd()).isEqualByComparingTo("0.50");

            // 100,000 input × 2.50 + 40,000 output × 10, per million = 0.25 + 0.40 = 0.65 USD through the key.
            publish(new UsageRecorded(UUID.randomUUID(), UsageRecorded.TYPE, UsageRecorded.VERSION, Instant.now(),
                    "eu-west-1", tenant, "alice", "proxy_key", keyId.toString(), "openai", "gpt-4o",
                    "chat.completions", true, 200, new TokenUsage(100_000, 40_000, 0, 0, 0), 900, 120L, null));

            BudgetState exhausted = JSON.readValue(states.await(record -> keyBudget.equals(record.key())
                    && record.value().contains("\"exhausted\":true"), PATIENCE).value(), BudgetState.class);
            assertThat(exhausted.hard()).isTrue();
            assertThat(exhausted.spentUsd()).isEqualByComparingTo("0.65");
            assertThat(exhausted.spentTokens()).isEqualTo(140_000);
            assertThat(exhausted.periodEnd()).isAfter(Instant.now());
            BudgetState tenantDay = JSON.readValue(states.await(record -> record.key().equals(tenant + "/tenant/*/"
                    + daily.policyId() + "/day"), PATIENCE).value(), BudgetState.class);
            assertThat(tenantDay.hard()).as("a soft policy warns only").isFalse();
            assertThat(tenantDay.limitUsd()).isEqualByComparingTo("1.00");
        }
    }

    @Test
    void budgetSharesNeverGrantMoreThanIsLeftAndFreeUpAsCallsAreRecorded() throws Exception {
        String tenant = uniqueTenant();
        UUID keyId = UUID.randomUUID();
        try (TopicRecorder states = TopicRecorder.subscribe(Topics.USAGE_BUDGET_STATE);
             TopicRecorder shares = TopicRecorder.subscribe(Topics.USAGE_BUDGET_SHARES)) {
            QuotaPolicyChanged daily = new QuotaPolicyChanged(UUID.randomUUID(), null, 0, Instant.now(),
                    UUID.randomUUID(), tenant, "proxy-key", keyId.toString(), null, null, 50_000L, null, null, null,
                    "hard", false);
            producer.send(new ProducerRecord<>(Topics.ADMIN_QUOTA_POLICIES, daily.policyId().toString(),
                    JSON.writeValueAsString(daily))).get();
            String budget = tenant + "/proxy-key/" + keyId + "/" + daily.policyId() + "/day";
            BudgetState state = JSON.readValue(states.await(record -> budget.equals(record.key()), PATIENCE).value(),
                    BudgetState.class);
            Instant day = state.periodStart();

            // A share is at least what the call needs; beyond that the share size (20,000) capped at a quarter of
            // what is left, so other instances find some of the budget too.
            BudgetShareGranted a = ask(shares, "eu-west-1/a", tenant, budget, day, 30_000);
            assertThat(a.tokens()).isEqualTo(30_000);
            assertThat(a.remainingTokens()).isEqualTo(20_000);
            BudgetShareGranted refused = ask(shares, "us-east-1/b", tenant, budget, day, 25_000);
            assertThat(refused.granted()).as("20,000 left cannot cover 25,000").isFalse();
            assertThat(refused.reason()).contains("20000 tokens");
            BudgetShareGranted b = ask(shares, "us-east-1/b", tenant, budget, day, 1_000);
            assertThat(b.tokens()).as("a quarter of the 20,000 left").isEqualTo(5_000);
            BudgetShareGranted c = ask(shares, "us-east-1/b", tenant, budget, day, 15_000);
            assertThat(c.tokens()).as("all that is left").isEqualTo(15_000);
            assertThat(ask(shares, "us-east-1/b", tenant, budget, day, 1).granted()).isFalse();

            // 10,000 tokens recorded under share a: still held (a's holder may spend the rest), so nothing frees up.
            UsageRecorded call = new UsageRecorded(UUID.randomUUID(), null, 0, Instant.now(), "eu-west-1", tenant,
                    "alice", "proxy_key", keyId.toString(), "openai", "gpt-4o-mini", "chat.completions", false, 200,
                    new TokenUsage(4_000, 6_000, 0, 0, 0), 90, 80L, null, List.of(a.grantId()));
            publish(call);
            awaitStored(call.eventId());
            assertThat(jdbc.queryForObject("select used_tokens from budget_grant where grant_id = ?", Long.class,
                    a.grantId())).isEqualTo(10_000);
            assertThat(ask(shares, "us-east-1/b", tenant, budget, day, 1).granted()).isFalse();

            // a is given back having metered 10,000 tokens, all recorded: its other 20,000 are free again.
            producer.send(new ProducerRecord<>(Topics.PROXY_BUDGET_SHARE_REQUESTS, budget, JSON.writeValueAsString(
                    BudgetShareRequested.release("eu-west-1/a", "eu-west-1", tenant, budget, day, a.grantId(),
                            10_000, Instant.now())))).get();
            await().atMost(PATIENCE).until(() -> jdbc.queryForObject(
                    "select settled_tokens from budget_grant where grant_id = ?", Long.class, a.grantId()) != null);
            BudgetShareGranted again = ask(shares, "us-east-1/b", tenant, budget, day, 20_000);
            assertThat(again.tokens()).isEqualTo(20_000);
            assertThat(again.remainingTokens()).isZero();
        }
    }

    private BudgetShareGranted ask(TopicRecorder shares, String instance, String tenant, String budget, Instant day,
                                   long tokens) throws Exception {
        BudgetShareRequested request = BudgetShareRequested.request(instance, instance.substring(0, 9), tenant, budget,
                day, tokens, Instant.now());
        producer.send(new ProducerRecord<>(Topics.PROXY_BUDGET_SHARE_REQUESTS, budget,
                JSON.writeValueAsString(request))).get();
        return JSON.readValue(shares.await(record -> record.value().contains(request.eventId().toString()), PATIENCE)
                .value(), BudgetShareGranted.class);
    }

    private static void publishPrice(String tenant, String provider, String model, String effectiveFrom, String input,
                                     String output, String cacheRead, String cacheWrite) throws Exception {
        ModelPriced price = new ModelPriced(UUID.randomUUID(), null, 0, Instant.now(), UUID.randomUUID(), tenant,
                provider, model, Instant.parse(effectiveFrom), null, new java.math.BigDecimal(input),
                new java.math.BigDecimal(output), cacheRead == null ? null : new java.math.BigDecimal(cacheRead),
                cacheWrite == null ? null : new java.math.BigDecimal(cacheWrite));
        producer.send(new ProducerRecord<>(Topics.ADMIN_MODEL_PRICES, price.priceId().toString(),
                JSON.writeValueAsString(price))).get();
    }

    private void awaitPrices(String tenant, int count) {
        await().atMost(PATIENCE).until(() -> jdbc.queryForObject(
                "select count(*) from model_price where tenant_id = ?", Integer.class, tenant) == count);
    }

    private java.math.BigDecimal cost(UsageRecorded event) {
        return jdbc.queryForObject("select cost_usd from usage_event where event_id = ?", java.math.BigDecimal.class,
                event.eventId());
    }

    private static UsageRecorded tiered(String tenant, String user, String key, String tier, TokenUsage usage) {
        return new UsageRecorded(UUID.randomUUID(), UsageRecorded.TYPE, UsageRecorded.VERSION, Instant.now(),
                "eu-west-1", tenant, user, key == null ? "user_token" : "proxy_key", key, "openai", "gpt-4o-mini",
                "chat.completions", false, 200, usage, 250, 40L, null, null, tier);
    }

    private static UsageRecorded event(String tenant, String user, String model, Instant at, int status,
                                       TokenUsage usage) {
        return new UsageRecorded(UUID.randomUUID(), UsageRecorded.TYPE, UsageRecorded.VERSION, at, "eu-west-1",
                tenant, user, "user_token", null, model.startsWith("claude") ? "anthropic" : "openai", model,
                "chat.completions", false, status, usage, 250, 40L, null);
    }

    private static UsageRecorded withTier(UsageRecorded event, String tier) {
        return new UsageRecorded(event.eventId(), event.type(), event.version(), event.occurredAt(), event.region(),
                event.tenantId(), event.userId(), event.callerType(), event.proxyKeyId(), event.provider(),
                event.model(), event.operation(), event.streamed(), event.status(), event.usage(), event.latencyMs(),
                event.firstByteMs(), event.traceId(), event.budgetGrants(), tier);
    }

    private static void publish(UsageRecorded event) throws ExecutionException, InterruptedException {
        producer.send(new ProducerRecord<>(Topics.USAGE_RECORDED, event.subjectKey(), JSON.writeValueAsString(event)))
                .get();
    }

    private void awaitStored(UUID eventId) {
        await().atMost(PATIENCE).until(() -> jdbc.queryForObject(
                "select count(*) from usage_event where event_id = ?", Integer.class, eventId) == 1);
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
