package dev.keygate.usage.reporting;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Future;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ModelPriced;
import dev.keygate.contracts.usage.v1.TokenUsage;
import dev.keygate.contracts.usage.v1.UsageRecorded;
import dev.keygate.testkit.TestKafka;
import dev.keygate.usage.AlertWebhookReceiver;
import dev.keygate.usage.LedgerContext;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.JwtRequestPostProcessor;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.jwt;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * The analytics API over events that went through the real Kafka broker into the real PostgreSQL ledger, priced with
 * the tenant's own price list. Each test uses its own tenant, so the figures are exactly the ones computed by hand here.
 */
class AnalyticsIT extends LedgerContext {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final String CAROL = "carol, \"the\" analyst";

    private static KafkaProducer<String, String> producer;

    @Autowired
    MockMvc mvc;

    @Autowired
    JdbcTemplate jdbc;

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

    /**
     * Two days of calls: gpt-4o-mini at $1 / $2 and claude-haiku-4 at $4 / $8 per million input / output tokens.
     * <pre>
     * 04-01 10:05 alice k1 gpt     200 1,000,000 / 500,000  $2       pro
     * 04-01 10:40 bob   k2 gpt     500   100,000 / 0        $0.1     free
     * 04-01 13:00 alice k2 claude  200   250,000 / 125,000  $2       pro
     * 04-02 09:00 bob   k1 claude  429         0 / 0        $0       free
     * 04-02 09:30 carol -- gpt     200 3,000,000 / 1,000,000 $5      (no tier)
     * 04-02 09:31 alice k1 mystery 200        10 / 10       unpriced pro
     * </pre>
     */
    private String twoDaysOfCalls() throws Exception {
        String tenant = uniqueTenant();
        publishPrice(tenant, "openai", "gpt-4o-mini", "1", "2");
        publishPrice(tenant, "anthropic", "claude-haiku-4", "4", "8");
        await().atMost(PATIENCE).until(() -> jdbc.queryForObject(
                "select count(*) from model_price where tenant_id = ?", Integer.class, tenant) == 2);
        List<UsageRecorded> events = List.of(
                event(tenant, "alice", "k1", "gpt-4o-mini", "2026-04-01T10:05:00Z", 200, 1_000_000, 500_000, 900, 90L,
                        "pro"),
                event(tenant, "bob", "k2", "gpt-4o-mini", "2026-04-01T10:40:00Z", 500, 100_000, 0, 30, null, "free"),
                event(tenant, "alice", "k2", "claude-haiku-4", "2026-04-01T13:00:00Z", 200, 250_000, 125_000, 400, 80L,
                        "pro"),
                event(tenant, "bob", "k1", "claude-haiku-4", "2026-04-02T09:00:00Z", 429, 0, 0, 5, null, "free"),
                event(tenant, CAROL, null, "gpt-4o-mini", "2026-04-02T09:30:00Z", 200, 3_000_000, 1_000_000, 2000, 100L),
                event(tenant, "alice", "k1", "mystery-model", "2026-04-02T09:31:00Z", 200, 10, 10, 50, 20L, "pro"));
        publishAll(events);
        return tenant;
    }

    @Test
    void groupsUsageAndCostByModelPerDayFromTheAggregates() throws Exception {
        String tenant = twoDaysOfCalls();

        JsonNode report = getJson(get("/api/v1/analytics/usage").param("from", "2026-04-01T06:00:00Z")
                .param("to", "2026-04-02T18:00:00Z").param("bucket", "day").param("group_by", "provider,model")
                .with(analyst(tenant)));

        assertThat(report.get("from").asString()).isEqualTo("2026-04-01T00:00:00Z");
        assertThat(report.get("to").asString()).isEqualTo("2026-04-03T00:00:00Z");
        List<String> rows = new ArrayList<>();
        report.get("rows").forEach(row -> rows.add(row.get("bucket_start").asString() + " " + row.get("model").asString()
                + " requests=" + row.get("requests").asLong() + " tokens=" + row.get("total_tokens").asLong()
                + " errors=" + row.get("errors").asLong() + " cost=" + row.get("cost_usd").decimalValue().toPlainString()
                + " unpriced=" + row.get("unpriced_requests").asLong()));
        assertThat(rows).containsExactly(
                "2026-04-01T00:00:00Z claude-haiku-4 requests=1 tokens=375000 errors=0 cost=2 unpriced=0",
                "2026-04-01T00:00:00Z gpt-4o-mini requests=2 tokens=1600000 errors=1 cost=2.1 unpriced=0",
                "2026-04-02T00:00:00Z claude-haiku-4 requests=1 tokens=0 errors=1 cost=0 unpriced=0",
                "2026-04-02T00:00:00Z gpt-4o-mini requests=1 tokens=4000000 errors=0 cost=5 unpriced=0",
                "2026-04-02T00:00:00Z mystery-model requests=1 tokens=20 errors=0 cost=0 unpriced=1");
        assertThat(report.get("rows").get(0).has("user")).as("not grouped by user").isFalse();
    }

    @Test
    void groupsByKeyAndUserPerHourWithFiltersAndOnlyForTheCallersTenant() throws Exception {
        String tenant = twoDaysOfCalls();

        JsonNode byKey = getJson(get("/api/v1/analytics/usage").param("from", "2026-04-01T00:00:00Z")
                .param("to", "2026-04-03T00:00:00Z").param("bucket", "hour").param("group_by", "key,user")
                .param("provider", "openai").param("model", "gpt-4o-mini").with(analyst(tenant)));
        List<String> rows = new ArrayList<>();
        byKey.get("rows").forEach(row -> rows.add(row.get("bucket_start").asString() + " " + row.get("key").asString()
                + "/" + row.get("user").asString() + " " + row.get("cost_usd").decimalValue().toPlainString()));
        assertThat(rows).containsExactly("2026-04-01T10:00:00Z k1/alice 2", "2026-04-01T10:00:00Z k2/bob 0.1",
                "2026-04-02T09:00:00Z /" + CAROL + " 5");

        JsonNode oneKey = getJson(get("/api/v1/analytics/usage").param("from", "2026-04-01T00:00:00Z")
                .param("to", "2026-04-03T00:00:00Z").param("bucket", "none").param("group_by", "none")
                .param("key", "k1").param("user", "alice").with(analyst(tenant)));
        assertThat(oneKey.get("rows")).hasSize(1);
        assertThat(oneKey.get("rows").get(0).get("requests").asLong()).isEqualTo(2);
        assertThat(oneKey.get("rows").get(0).get("input_tokens").asLong()).isEqualTo(1_000_010);

        JsonNode otherTenant = getJson(get("/api/v1/analytics/usage").param("from", "2026-04-01T00:00:00Z")
                .param("to", "2026-04-03T00:00:00Z").param("group_by", "user").param("user", "alice")
                .with(analyst(uniqueTenant())));
        assertThat(otherTenant.get("rows")).isEmpty();
    }

    @Test
    void groupsAndFiltersUsageByLicenseTierWithCallsWithoutATierUnderTheEmptyTier() throws Exception {
        String tenant = twoDaysOfCalls();
        String from = "2026-04-01T00:00:00Z";
        String to = "2026-04-03T00:00:00Z";

        JsonNode byTier = getJson(get("/api/v1/analytics/usage").param("from", from).param("to", to)
                .param("bucket", "none").param("group_by", "tier").with(analyst(tenant)));
        assertThat(byTier.get("group_by").toString()).isEqualTo("[\"tier\"]");
        List<String> rows = new ArrayList<>();
        byTier.get("rows").forEach(row -> rows.add("'" + row.get("tier").asString() + "' requests="
                + row.get("requests").asLong() + " tokens=" + row.get("total_tokens").asLong() + " errors="
                + row.get("errors").asLong() + " cost=" + row.get("cost_usd").decimalValue().toPlainString()
                + " unpriced=" + row.get("unpriced_requests").asLong()));
        assertThat(rows).containsExactly(
                "'' requests=1 tokens=4000000 errors=0 cost=5 unpriced=0",
                "'free' requests=2 tokens=100000 errors=2 cost=0.1 unpriced=0",
                "'pro' requests=3 tokens=1875020 errors=0 cost=4 unpriced=1");

        JsonNode proPerDay = getJson(get("/api/v1/analytics/usage").param("from", from).param("to", to)
                .param("group_by", "model").param("tier", "pro").with(analyst(tenant)));
        List<String> pro = new ArrayList<>();
        proPerDay.get("rows").forEach(row -> pro.add(row.get("bucket_start").asString().substring(0, 10) + " "
                + row.get("model").asString() + " " + row.get("cost_usd").decimalValue().toPlainString()));
        assertThat(pro).containsExactly("2026-04-01 claude-haiku-4 2", "2026-04-01 gpt-4o-mini 2",
                "2026-04-02 mystery-model 0");
        assertThat(proPerDay.get("rows").get(0).has("tier")).as("not grouped by tier").isFalse();

        JsonNode freeSpenders = getJson(get("/api/v1/analytics/top-spenders").param("from", from).param("to", to)
                .param("by", "user").param("tier", "free").with(analyst(tenant)));
        assertThat(freeSpenders.get("rows")).singleElement().satisfies(row -> {
            assertThat(row.get("user").asString()).isEqualTo("bob");
            assertThat(row.get("cost_usd").decimalValue()).isEqualByComparingTo("0.1");
        });
        JsonNode freeErrors = getJson(get("/api/v1/analytics/errors").param("from", from).param("to", to)
                .param("group_by", "tier").param("tier", "free").with(analyst(tenant)));
        assertThat(freeErrors.get("rows")).singleElement().satisfies(row ->
                assertThat(row.get("error_rate").decimalValue()).isEqualByComparingTo("1"));
        assertThat(getJson(get("/api/v1/analytics/usage").param("from", from).param("to", to)
                .param("group_by", "tier").param("tier", "pro").with(analyst(uniqueTenant()))).get("rows"))
                .as("another tenant's tier").isEmpty();
    }

    @Test
    void exportsUsageByTierAsCsvWithTheTierColumn() throws Exception {
        String tenant = twoDaysOfCalls();

        MockHttpServletResponse csv = mvc.perform(get("/api/v1/analytics/usage")
                        .param("from", "2026-04-01T00:00:00Z").param("to", "2026-04-03T00:00:00Z")
                        .param("bucket", "none").param("group_by", "tier,model").param("format", "csv")
                        .with(analyst(tenant)))
                .andExpect(status().isOk()).andReturn().getResponse();

        assertThat(csv.getContentAsString()).isEqualTo(
                "model,tier,requests,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,total_tokens,"
                        + "errors,error_rate,cost_usd,unpriced_requests\r\n"
                        + "claude-haiku-4,free,1,0,0,0,0,0,1,1.0000,0,0\r\n"
                        + "claude-haiku-4,pro,1,250000,125000,0,0,375000,0,0.0000,2,0\r\n"
                        + "gpt-4o-mini,,1,3000000,1000000,0,0,4000000,0,0.0000,5,0\r\n"
                        + "gpt-4o-mini,free,1,100000,0,0,0,100000,1,1.0000,0.1,0\r\n"
                        + "gpt-4o-mini,pro,1,1000000,500000,0,0,1500000,0,0.0000,2,0\r\n"
                        + "mystery-model,pro,1,10,10,0,0,20,0,0.0000,0,1\r\n");
    }

    @Test
    void ranksTopSpendersByCostAndErrorRatesByRate() throws Exception {
        String tenant = twoDaysOfCalls();
        String from = "2026-04-01T00:00:00Z";
        String to = "2026-04-03T00:00:00Z";

        JsonNode users = getJson(get("/api/v1/analytics/top-spenders").param("from", from).param("to", to)
                .param("by", "user").param("limit", "2").with(analyst(tenant)));
        assertThat(users.get("rows")).hasSize(2);
        assertThat(users.get("rows").get(0).get("user").asString()).isEqualTo(CAROL);
        assertThat(users.get("rows").get(0).get("cost_usd").decimalValue()).isEqualByComparingTo("5");
        assertThat(users.get("rows").get(1).get("user").asString()).isEqualTo("alice");
        assertThat(users.get("rows").get(1).get("cost_usd").decimalValue()).isEqualByComparingTo("4");

        JsonNode keys = getJson(get("/api/v1/analytics/top-spenders").param("from", from).param("to", to)
                .param("by", "key").with(platformAdmin(tenant)));
        List<String> ranked = new ArrayList<>();
        keys.get("rows").forEach(row -> ranked.add(row.get("key").asString() + "="
                + row.get("cost_usd").decimalValue().toPlainString()));
        assertThat(ranked).containsExactly("=5", "k2=2.1", "k1=2");

        JsonNode errors = getJson(get("/api/v1/analytics/errors").param("from", from).param("to", to)
                .with(analyst(tenant)));
        List<String> rates = new ArrayList<>();
        errors.get("rows").forEach(row -> rates.add(row.get("model").asString() + " " + row.get("errors").asLong() + "/"
                + row.get("requests").asLong() + " " + row.get("error_rate").decimalValue()
                .setScale(4, java.math.RoundingMode.UNNECESSARY).toPlainString()));
        assertThat(rates).containsExactly("claude-haiku-4 1/2 0.5000", "gpt-4o-mini 1/3 0.3333",
                "mystery-model 0/1 0.0000");
    }

    @Test
    void exportsGroupedUsageAsQuotedCsvWithAFilename() throws Exception {
        String tenant = twoDaysOfCalls();

        MockHttpServletResponse byHeader = mvc.perform(get("/api/v1/analytics/usage")
                        .param("from", "2026-04-02T00:00:00Z").param("to", "2026-04-03T00:00:00Z")
                        .param("group_by", "user,model").header("Accept", "text/csv").with(analyst(tenant)))
                .andExpect(status().isOk()).andReturn().getResponse();
        assertThat(byHeader.getContentType()).startsWith("text/csv");
        assertThat(byHeader.getHeader("Content-Disposition"))
                .isEqualTo("attachment; filename=\"keygate-usage-" + tenant + "-20260402T0000Z-20260403T0000Z.csv\"");
        assertThat(byHeader.getContentAsString()).isEqualTo(
                "bucket_start,user,model,requests,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,"
                        + "total_tokens,errors,error_rate,cost_usd,unpriced_requests\r\n"
                        + "2026-04-02T00:00:00Z,alice,mystery-model,1,10,10,0,0,20,0,0.0000,0,1\r\n"
                        + "2026-04-02T00:00:00Z,bob,claude-haiku-4,1,0,0,0,0,0,1,1.0000,0,0\r\n"
                        + "2026-04-02T00:00:00Z,\"carol, \"\"the\"\" analyst\",gpt-4o-mini,1,3000000,1000000,0,0,"
                        + "4000000,0,0.0000,5,0\r\n");

        MockHttpServletResponse byParameter = mvc.perform(get("/api/v1/analytics/usage")
                        .param("from", "2026-04-02T00:00:00Z").param("to", "2026-04-03T00:00:00Z")
                        .param("group_by", "user,model").param("format", "csv").with(analyst(tenant)))
                .andExpect(status().isOk()).andReturn().getResponse();
        assertThat(byParameter.getContentAsString()).isEqualTo(byHeader.getContentAsString());
    }

    @Test
    void reportsLatencyAndFirstBytePercentilesFromTheHistograms() throws Exception {
        String tenant = uniqueTenant();
        List<UsageRecorded> events = new ArrayList<>();
        // Latencies 10, 20, ..., 1000 ms; first bytes 1..20 ms five times each; both shuffled over two hours.
        for (int i = 1; i <= 100; i++) {
            String at = i % 2 == 0 ? "2026-05-01T10:%02d:00Z" : "2026-05-01T11:%02d:00Z";
            events.add(event(tenant, "alice", null, "gpt-4o", at.formatted(i % 60), 200, 1, 1, 10L * (101 - i),
                    (long) (i - 1) / 5 + 1));
        }
        events.add(event(tenant, "alice", null, "claude-haiku-4", "2026-05-01T10:00:00Z", 200, 1, 1, 7, null));
        publishAll(events);

        JsonNode report = getJson(get("/api/v1/analytics/latency").param("from", "2026-05-01T10:00:00Z")
                .param("to", "2026-05-01T12:00:00Z").with(analyst(tenant)));

        assertThat(report.get("rows")).hasSize(2);
        JsonNode claude = report.get("rows").get(0);
        assertThat(claude.get("model").asString()).isEqualTo("claude-haiku-4");
        assertThat(claude.get("latency_p99_ms").asLong()).isEqualTo(7);
        assertThat(claude.get("first_byte_requests").asLong()).isZero();
        assertThat(claude.get("first_byte_p50_ms").isNull()).isTrue();
        JsonNode gpt = report.get("rows").get(1);
        assertThat(gpt.get("requests").asLong()).isEqualTo(100);
        // Nearest rank: p50 = 500 ms, p95 = 950 ms, p99 = 990 ms exactly; the histogram answers within +5 %.
        assertWithinBucketError(gpt.get("latency_p50_ms").asLong(), 500);
        assertWithinBucketError(gpt.get("latency_p95_ms").asLong(), 950);
        assertWithinBucketError(gpt.get("latency_p99_ms").asLong(), 990);
        // Up to 20 ms every bucket holds one value: exact.
        assertThat(gpt.get("first_byte_p50_ms").asLong()).isEqualTo(10);
        assertThat(gpt.get("first_byte_p95_ms").asLong()).isEqualTo(19);
        assertThat(gpt.get("first_byte_p99_ms").asLong()).isEqualTo(20);

        JsonNode oneHour = getJson(get("/api/v1/analytics/latency").param("from", "2026-05-01T11:00:00Z")
                .param("to", "2026-05-01T12:00:00Z").param("model", "gpt-4o").with(analyst(tenant)));
        assertThat(oneHour.get("rows")).hasSize(1);
        assertThat(oneHour.get("rows").get(0).get("requests").asLong()).isEqualTo(50);
        // The odd i: latencies 1000, 980, ..., 20 ms; nearest-rank p50 is 500 ms.
        assertWithinBucketError(oneHour.get("rows").get(0).get("latency_p50_ms").asLong(), 500);
    }

    @Test
    void reratingCorrectsTheCostsAnalyticsReport() throws Exception {
        String tenant = twoDaysOfCalls();
        publishPrice(tenant, "openai", "mystery-model", "1000000", "0");
        await().atMost(PATIENCE).until(() -> jdbc.queryForObject(
                "select count(*) from model_price where tenant_id = ?", Integer.class, tenant) == 3);

        mvc.perform(post("/api/v1/ledger/rerate").param("from", "2026-04-02T09:00:00Z")
                .param("to", "2026-04-02T10:00:00Z").with(platformAdmin(tenant))).andExpect(status().isOk());

        JsonNode report = getJson(get("/api/v1/analytics/usage").param("from", "2026-04-02T00:00:00Z")
                .param("to", "2026-04-03T00:00:00Z").param("group_by", "model").param("model", "mystery-model")
                .with(analyst(tenant)));
        // 10 input tokens at $1,000,000 per million.
        assertThat(report.get("rows").get(0).get("cost_usd").decimalValue()).isEqualByComparingTo("10");
        assertThat(report.get("rows").get(0).get("unpriced_requests").asLong()).isZero();
        JsonNode byTier = getJson(get("/api/v1/analytics/usage").param("from", "2026-04-02T00:00:00Z")
                .param("to", "2026-04-03T00:00:00Z").param("bucket", "none").param("group_by", "tier")
                .with(analyst(tenant)));
        List<String> tiers = new ArrayList<>();
        byTier.get("rows").forEach(row -> tiers.add("'" + row.get("tier").asString() + "' "
                + row.get("cost_usd").decimalValue().toPlainString() + "/" + row.get("unpriced_requests").asLong()));
        assertThat(tiers).as("the re-rated call stays in its tier").containsExactly("'' 5/0", "'free' 0/0", "'pro' 10/0");
    }

    @Test
    void badParametersAreProblemsThatNameTheFix() throws Exception {
        String tenant = uniqueTenant();
        expectProblem(get("/api/v1/analytics/usage").param("from", "2026-04-01T00:00:00Z")
                .param("to", "2026-04-02T00:00:00Z").param("bucket", "week").with(analyst(tenant)), "'bucket' must be");
        expectProblem(get("/api/v1/analytics/usage").param("from", "2026-04-01T00:00:00Z")
                .param("to", "2026-04-02T00:00:00Z").param("group_by", "model,team").with(analyst(tenant)),
                "user, key, provider, model, region, tier, or 'none'; 'team' is not one of them");
        expectProblem(get("/api/v1/analytics/usage").param("from", "2026-04-02T00:00:00Z")
                .param("to", "2026-04-01T00:00:00Z").with(analyst(tenant)), "'from' must be before 'to'");
        expectProblem(get("/api/v1/analytics/usage").param("from", "2026-01-01T00:00:00Z")
                .param("to", "2026-03-01T00:00:00Z").param("bucket", "hour").with(analyst(tenant)), "bucket=day");
        expectProblem(get("/api/v1/analytics/usage").param("from", "yesterday")
                .param("to", "2026-03-01T00:00:00Z").with(analyst(tenant)), "'from' must be an ISO-8601");
        expectProblem(get("/api/v1/analytics/usage").param("to", "2026-03-01T00:00:00Z").with(analyst(tenant)),
                "from");
        expectProblem(get("/api/v1/analytics/top-spenders").param("from", "2026-04-01T00:00:00Z")
                .param("to", "2026-04-02T00:00:00Z").param("by", "team").with(analyst(tenant)), "'by' must be");
        expectProblem(get("/api/v1/analytics/top-spenders").param("from", "2026-04-01T00:00:00Z")
                .param("to", "2026-04-02T00:00:00Z").param("limit", "0").with(analyst(tenant)), "'limit'");
        expectProblem(get("/api/v1/analytics/latency").param("from", "2026-04-01T00:00:00Z")
                .param("to", "2026-04-02T00:00:00Z").param("user", "alice").with(analyst(tenant)),
                "remove 'user', 'key' and 'tier'");
        expectProblem(get("/api/v1/analytics/latency").param("from", "2026-04-01T00:00:00Z")
                .param("to", "2026-04-02T00:00:00Z").param("tier", "pro").with(analyst(tenant)),
                "kept per provider and model only");
        expectProblem(get("/api/v1/analytics/usage").param("from", "2026-04-01T00:00:00Z")
                .param("to", "2026-04-02T00:00:00Z").param("format", "xml").with(analyst(tenant)), "'format'");
        expectProblem(get("/api/v1/analytics/usage").param("from", "2026-04-01T00:00:00Z")
                .param("to", "2026-04-02T00:00:00Z").param("bucket", "week").header("Accept", "text/csv")
                .with(analyst(tenant)), "'bucket' must be");
        mvc.perform(get("/api/v1/analytics/usage").param("from", "2026-04-01T00:00:00Z")
                        .param("to", "2026-04-02T00:00:00Z").with(jwt().jwt(token -> token.claim("tenant_id", tenant))
                                .authorities(new SimpleGrantedAuthority("ROLE_developer"))))
                .andExpect(status().isForbidden());
    }

    @Test
    void servesAnOpenApiDescriptionOfTheAnalytics() throws Exception {
        JsonNode api = JSON.readTree(mvc.perform(get("/v3/api-docs")).andExpect(status().isOk()).andReturn()
                .getResponse().getContentAsString());
        assertThat(api.get("paths").has("/api/v1/analytics/usage")).isTrue();
        assertThat(api.get("paths").has("/api/v1/analytics/latency")).isTrue();
        JsonNode usage = api.get("paths").get("/api/v1/analytics/usage").get("get");
        List<String> parameters = new ArrayList<>();
        usage.get("parameters").forEach(parameter -> parameters.add(parameter.get("name").asString()));
        assertThat(parameters).contains("group_by", "tier");
        usage.get("parameters").forEach(parameter -> {
            if (parameter.get("name").asString().equals("group_by")) {
                assertThat(parameter.get("description").asString()).contains("tier");
            }
        });
        assertThat(usage.get("description").asString()).contains("license tier");
    }

    private static void assertWithinBucketError(long reported, long exact) {
        assertThat(reported).isGreaterThanOrEqualTo(exact).isLessThan(exact * 105 / 100);
    }

    private void expectProblem(MockHttpServletRequestBuilder request, String detail) throws Exception {
        mvc.perform(request)
                .andExpect(status().isBadRequest())
                .andExpect(result -> assertThat(result.getResponse().getContentType())
                        .startsWith("application/problem+json"))
                .andExpect(result -> assertThat(JSON.readTree(result.getResponse().getContentAsString())
                        .get("detail").asString()).contains(detail));
    }

    private JsonNode getJson(MockHttpServletRequestBuilder request) throws Exception {
        return JSON.readTree(mvc.perform(request).andExpect(status().isOk()).andReturn().getResponse()
                .getContentAsString());
    }

    private void publishAll(List<UsageRecorded> events) throws Exception {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (UsageRecorded event : events) {
            sent.add(producer.send(new ProducerRecord<>(Topics.USAGE_RECORDED, event.subjectKey(),
                    JSON.writeValueAsString(event))));
        }
        for (Future<RecordMetadata> future : sent) {
            future.get();
        }
        for (UsageRecorded event : events) {
            await().atMost(PATIENCE).until(() -> jdbc.queryForObject(
                    "select count(*) from usage_event where event_id = ?", Integer.class, event.eventId()) == 1);
        }
    }

    @Test
    void budgetsShowSpendAgainstTheirLimitsWithAlertsAndEachDaysSpendForTheBurnDown() throws Exception {
        String tenant = uniqueTenant();
        java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
        java.time.OffsetDateTime day = today.atStartOfDay().atOffset(java.time.ZoneOffset.UTC);
        java.time.OffsetDateTime month = today.withDayOfMonth(1).atStartOfDay().atOffset(java.time.ZoneOffset.UTC);
        jdbc.update("insert into budget_limit values (?, 'tenant', '*', 'policy-1', 'month', 10, null, false)", tenant);
        jdbc.update("insert into budget_limit values (?, 'proxy-key', 'k1', 'policy-2', 'day', null, 1000, true)",
                tenant);
        jdbc.update("insert into budget_spend values (?, 'tenant', '*', 'month', ?, 4, 40000)", tenant, month);
        jdbc.update("insert into budget_spend values (?, 'tenant', '*', 'day', ?, 4, 40000)", tenant, day);
        // A key's and a user's spend are their rows of the daily tables (V12): tokens are input plus output.
        jdbc.update("""
                insert into usage_key_daily (tenant_id, day, proxy_key_id, requests, input_tokens, output_tokens,
                    cache_read_tokens, cache_write_tokens, errors, cost_usd, unpriced_requests)
                values (?, ?, 'k1', 3, 600, 400, 50000, 0, 0, 0.5, 0), (?, ?, 'k1', 9, 9000, 0, 0, 0, 0, 9, 0)""",
                tenant, day, tenant, day.minusDays(40));
        jdbc.update("insert into budget_limit values (?, 'user', 'u1', 'policy-3', 'month', 20, 100000, false)",
                tenant);
        jdbc.update("""
                insert into usage_user_daily (tenant_id, day, user_id, requests, input_tokens, output_tokens,
                    cache_read_tokens, cache_write_tokens, errors, cost_usd, unpriced_requests)
                values (?, ?, 'u1', 2, 2000, 500, 0, 0, 0, 2.5, 0), (?, ?, 'u1', 1, 0, 0, 0, 0, 1, 0, 0),
                       (?, ?, 'u1', 7, 7000, 0, 0, 0, 0, 7, 0)""",
                tenant, day, tenant, day.minusDays(40), tenant, month.minusMonths(1));

        JsonNode budgets = getJson(get("/api/v1/analytics/budgets").with(analyst(tenant))).get("budgets");

        assertThat(budgets).hasSize(3);
        JsonNode key = budgets.get(0);
        assertThat(key.get("scope").asString()).isEqualTo("proxy-key");
        assertThat(key.get("subject").asString()).isEqualTo("k1");
        assertThat(key.get("spent_tokens").asLong()).as("today's spend only").isEqualTo(1000);
        assertThat(key.get("used").decimalValue()).isEqualByComparingTo("1");
        assertThat(key.get("alert").asString()).isEqualTo("exhausted");
        assertThat(key.get("hard").asBoolean()).isTrue();
        JsonNode organisation = budgets.get(1);
        assertThat(organisation.get("subject").isNull() || !organisation.has("subject")).isTrue();
        assertThat(organisation.get("limit_usd").decimalValue()).isEqualByComparingTo("10");
        assertThat(organisation.get("used").decimalValue()).isEqualByComparingTo("0.4");
        assertThat(organisation.get("projected").decimalValue()).isGreaterThanOrEqualTo(new BigDecimal("0.4"));
        assertThat(organisation.get("days")).singleElement().satisfies(spent -> {
            assertThat(spent.get("day").asString()).isEqualTo(today.toString());
            assertThat(spent.get("cost_usd").decimalValue()).isEqualByComparingTo("4");
        });
        JsonNode user = budgets.get(2);
        assertThat(user.get("subject").asString()).isEqualTo("u1");
        assertThat(user.get("spent_usd").decimalValue()).as("this month's days only").isEqualByComparingTo("2.5");
        assertThat(user.get("spent_tokens").asLong()).isEqualTo(2500);
        assertThat(user.get("used").decimalValue()).isEqualByComparingTo("0.125");
        assertThat(user.get("days")).singleElement().satisfies(spent -> {
            assertThat(spent.get("day").asString()).isEqualTo(today.toString());
            assertThat(spent.get("tokens").asLong()).isEqualTo(2500);
        });
        assertThat(getJson(get("/api/v1/analytics/budgets").with(analyst(uniqueTenant()))).get("budgets")).isEmpty();
    }

    @Test
    void aSoftBudgetAlertsAdminsAt80PercentAndWhenSpentOnceEachThroughTheApiAndTheWebhook() throws Exception {
        String tenant = uniqueTenant();
        java.time.OffsetDateTime day = java.time.LocalDate.now(java.time.ZoneOffset.UTC).atStartOfDay()
                .atOffset(java.time.ZoneOffset.UTC);
        jdbc.update("insert into budget_limit values (?, 'tenant', '*', 'policy-soft', 'day', null, 1000, false)",
                tenant);
        jdbc.update("insert into budget_spend values (?, 'tenant', '*', 'day', ?, 0, 850)", tenant, day);

        await().atMost(PATIENCE).until(() -> alerts(tenant).size() == 1);
        JsonNode warning = alerts(tenant).get(0);
        assertThat(warning.get("level").asString()).isEqualTo("warning");
        assertThat(warning.get("hard").asBoolean()).isFalse();
        assertThat(warning.get("spent_tokens").asLong()).isEqualTo(850);
        assertThat(warning.get("limit_tokens").asLong()).isEqualTo(1000);

        jdbc.update("update budget_spend set tokens = 1200 where tenant_id = ? and period = 'day' and period_start = ?",
                tenant, day);
        await().atMost(PATIENCE).until(() -> alerts(tenant).size() == 2);
        // Evaluations run every second: two more see the spent budget and raise nothing new.
        await().during(Duration.ofMillis(2_500)).atMost(Duration.ofSeconds(10))
                .until(() -> alerts(tenant).size() == 2);
        List<JsonNode> raised = alerts(tenant);
        assertThat(raised).as("each level once, however many evaluations see it")
                .extracting(alert -> alert.get("level").asString()).containsExactly("exhausted", "warning");

        List<String> posted = AlertWebhookReceiver.get().bodies().stream()
                .filter(body -> body.contains("\"tenant_id\":\"" + tenant + "\"")).toList();
        assertThat(posted).extracting(body -> JSON.readTree(body).get("text").asString()).containsExactly(
                "Organisation " + tenant + ": soft daily budget (policy-soft) is 80% used; 850 of 1000 tokens.",
                "Organisation " + tenant + ": soft daily budget (policy-soft) is spent (soft: calls still go "
                        + "through); 1200 of 1000 tokens.");
        assertThat(JSON.readTree(posted.get(1)).get("alert").get("level").asString()).isEqualTo("exhausted");

        assertThat(getJson(get("/api/v1/analytics/budgets/alerts").with(analyst(uniqueTenant()))).get("alerts"))
                .as("another tenant's alerts").isEmpty();
        mvc.perform(get("/api/v1/analytics/budgets/alerts").param("limit", "0").with(analyst(tenant)))
                .andExpect(status().isBadRequest());
    }

    private List<JsonNode> alerts(String tenant) throws Exception {
        List<JsonNode> alerts = new ArrayList<>();
        getJson(get("/api/v1/analytics/budgets/alerts").with(analyst(tenant))).get("alerts").forEach(alerts::add);
        return alerts;
    }

    private static void publishPrice(String tenant, String provider, String model, String input, String output)
            throws Exception {
        ModelPriced price = new ModelPriced(UUID.randomUUID(), null, 0, Instant.now(), UUID.randomUUID(), tenant,
                provider, model, Instant.parse("2026-01-01T00:00:00Z"), null, new BigDecimal(input),
                new BigDecimal(output), null, null);
        producer.send(new ProducerRecord<>(Topics.ADMIN_MODEL_PRICES, price.priceId().toString(),
                JSON.writeValueAsString(price))).get();
    }

    static UsageRecorded event(String tenant, String user, String key, String model, String at, int status,
                               long input, long output, long latencyMs, Long firstByteMs) {
        return event(tenant, user, key, model, at, status, input, output, latencyMs, firstByteMs, null);
    }

    static UsageRecorded event(String tenant, String user, String key, String model, String at, int status,
                               long input, long output, long latencyMs, Long firstByteMs, String tier) {
        return new UsageRecorded(UUID.randomUUID(), UsageRecorded.TYPE, UsageRecorded.VERSION, Instant.parse(at),
                "eu-west-1", tenant, user, key == null ? "user_token" : "proxy_key", key,
                model.startsWith("claude") ? "anthropic" : "openai", model, "chat.completions", false, status,
                new TokenUsage(input, output, 0, 0, 0), latencyMs, firstByteMs, null, null, tier);
    }

    private static String uniqueTenant() {
        return "t-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static JwtRequestPostProcessor analyst(String tenant) {
        return caller("analyst", tenant);
    }

    private static JwtRequestPostProcessor platformAdmin(String tenant) {
        return caller("platform-admin", tenant);
    }

    private static JwtRequestPostProcessor caller(String role, String tenant) {
        return jwt().jwt(token -> token.subject("someone").claim("tenant_id", tenant)
                        .claim("realm_access", Map.of("roles", List.of(role))))
                .authorities(new SimpleGrantedAuthority("ROLE_" + role));
    }
}
