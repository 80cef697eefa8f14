package dev.keygate.contracts;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.keygate.contracts.admin.v1.ModelPriced;
import dev.keygate.contracts.admin.v1.ProviderChanged;
import dev.keygate.contracts.admin.v1.ProviderKeyChanged;
import dev.keygate.contracts.admin.v1.ProxyKeyEvent;
import dev.keygate.contracts.admin.v1.ProxyKeyIssued;
import dev.keygate.contracts.admin.v1.ProxyKeyLimits;
import dev.keygate.contracts.admin.v1.ProxyKeyRevoked;
import dev.keygate.contracts.admin.v1.QuotaPolicyChanged;
import dev.keygate.contracts.usage.v1.BudgetShareGranted;
import dev.keygate.contracts.usage.v1.BudgetShareRequested;
import dev.keygate.contracts.usage.v1.BudgetState;
import dev.keygate.contracts.usage.v1.TokenUsage;
import dev.keygate.contracts.usage.v1.UsageRecorded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every golden sample of every version still parses into the current records, and what the current records
 * write still validates against the checked-in schema. Services read with FAIL_ON_UNKNOWN_PROPERTIES on, as
 * Spring Boot configures Jackson 3, so the records themselves must tolerate unknown fields.
 */
class ContractCompatibilityTest {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    private static final ObjectMapper SCHEMA_READER = new ObjectMapper();

    static Stream<Path> usageGoldens() throws Exception {
        return golden("usage/usage-recorded.v1");
    }

    static Stream<Path> proxyKeyGoldens() throws Exception {
        return golden("admin/proxy-key.v1");
    }

    static Stream<Path> providerGoldens() throws Exception {
        return golden("admin/provider.v1");
    }

    static Stream<Path> budgetStateGoldens() throws Exception {
        return golden("usage/budget-state.v1");
    }

    @ParameterizedTest
    @MethodSource("budgetStateGoldens")
    void everyBudgetStateGoldenParsesAndMatchesTheSchema(Path file) throws IOException {
        String json = Files.readString(file);

        BudgetState state = MAPPER.readValue(json, BudgetState.class);

        assertThat(state.type()).isEqualTo(BudgetState.TYPE);
        assertThat(state.key()).startsWith("acme/");
        assertThat(validate("budget-state.v1", json)).isEmpty();
        assertThat(validate("budget-state.v1", MAPPER.writeValueAsString(state))).isEmpty();
    }

    static Stream<Path> budgetShareRequestGoldens() throws Exception {
        return golden("usage/budget-share-requested.v1");
    }

    @ParameterizedTest
    @MethodSource("budgetShareRequestGoldens")
    void everyBudgetShareRequestGoldenParsesAndMatchesTheSchema(Path file) throws IOException {
        String json = Files.readString(file);

        BudgetShareRequested message = MAPPER.readValue(json, BudgetShareRequested.class);

        assertThat(message.isRelease()).isEqualTo(message.grantId() != null);
        assertThat(validate("budget-share-requested.v1", json)).isEmpty();
        assertThat(validate("budget-share-requested.v1", MAPPER.writeValueAsString(message))).isEmpty();
    }

    @Test
    void aReleaseWithoutItsGrantIsRefused() throws IOException {
        String json = goldenText("usage/budget-share-requested.v1/released-with-unknown-field.json")
                .replaceAll(",\"grantId\":\"[^\"]+\"", "");

        assertThat(validate("budget-share-requested.v1", json)).isNotEmpty();
        assertThatThrownBy(() -> MAPPER.readValue(json, BudgetShareRequested.class)).hasMessageContaining("grant");
    }

    static Stream<Path> budgetShareGrantGoldens() throws Exception {
        return golden("usage/budget-share-granted.v1");
    }

    @ParameterizedTest
    @MethodSource("budgetShareGrantGoldens")
    void everyBudgetShareGrantGoldenParsesAndMatchesTheSchema(Path file) throws IOException {
        String json = Files.readString(file);

        BudgetShareGranted grant = MAPPER.readValue(json, BudgetShareGranted.class);

        assertThat(grant.granted()).isEqualTo(grant.reason() == null);
        assertThat(validate("budget-share-granted.v1", json)).isEmpty();
        assertThat(validate("budget-share-granted.v1", MAPPER.writeValueAsString(grant))).isEmpty();
    }

    @Test
    void aGrantWithoutExpiryIsRefused() throws IOException {
        String json = goldenText("usage/budget-share-granted.v1/granted.json")
                .replaceAll(",\"expiresAt\":\"[^\"]+\"", "");

        assertThat(validate("budget-share-granted.v1", json)).isNotEmpty();
        assertThatThrownBy(() -> MAPPER.readValue(json, BudgetShareGranted.class)).hasMessageContaining("expiry");
    }

    static Stream<Path> modelPriceGoldens() throws Exception {
        return golden("admin/model-price.v1");
    }

    @ParameterizedTest
    @MethodSource("modelPriceGoldens")
    void everyModelPriceGoldenParsesAndMatchesTheSchema(Path file) throws IOException {
        String json = Files.readString(file);

        ModelPriced event = MAPPER.readValue(json, ModelPriced.class);

        assertThat(event.type()).isEqualTo(ModelPriced.TYPE);
        assertThat(event.currency()).isEqualTo("USD");
        assertThat(validate("model-priced.v1", json)).isEmpty();
        assertThat(validate("model-priced.v1", MAPPER.writeValueAsString(event))).isEmpty();
    }

    @Test
    void aPriceInAnotherCurrencyIsRefused() throws IOException {
        String json = goldenText("admin/model-price.v1/predefined.json").replace("\"USD\"", "\"EUR\"");

        assertThat(validate("model-priced.v1", json)).isNotEmpty();
        assertThatThrownBy(() -> MAPPER.readValue(json, ModelPriced.class)).hasMessageContaining("USD");
    }

    static Stream<Path> quotaPolicyGoldens() throws Exception {
        return golden("admin/quota-policy.v1");
    }

    @ParameterizedTest
    @MethodSource("quotaPolicyGoldens")
    void everyQuotaPolicyGoldenParsesAndMatchesTheSchema(Path file) throws IOException {
        String json = Files.readString(file);

        QuotaPolicyChanged event = MAPPER.readValue(json, QuotaPolicyChanged.class);

        assertThat(event.type()).isEqualTo(QuotaPolicyChanged.TYPE);
        assertThat(event.version()).isEqualTo(1);
        assertThat(validate("quota-policy-changed.v1", json)).isEmpty();
        assertThat(validate("quota-policy-changed.v1", MAPPER.writeValueAsString(event))).isEmpty();
    }

    @Test
    void quotaPolicyForAUserMustNameTheUser() throws IOException {
        String json = goldenText("admin/quota-policy.v1/tier-soft-with-unknown-field.json")
                .replace("\"scope\": \"tier\"", "\"scope\": \"user\"").replace("\"subject\": \"pro\",", "");

        assertThat(validate("quota-policy-changed.v1", json)).isNotEmpty();
        assertThatThrownBy(() -> MAPPER.readValue(json, QuotaPolicyChanged.class)).hasMessageContaining("subject");
    }

    @Test
    void scopedKeySampleCarriesModelsAndLimits() throws IOException {
        ProxyKeyIssued issued = (ProxyKeyIssued) MAPPER.readValue(
                goldenText("admin/proxy-key.v1/issued-with-scope.json"), ProxyKeyEvent.class);

        assertThat(issued.models()).containsExactly("gpt-4o-mini", "claude-3-haiku-20240307");
        assertThat(issued.limits()).isEqualTo(new ProxyKeyLimits(60, 5000, new java.math.BigDecimal("25.50")));
    }

    @Test
    void keyWithoutLimitsParsesToNoLimits() throws IOException {
        ProxyKeyIssued issued = (ProxyKeyIssued) MAPPER.readValue(
                goldenText("admin/proxy-key.v1/issued.json"), ProxyKeyEvent.class);

        assertThat(issued.limits().isEmpty()).isTrue();
        assertThat(issued.models()).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("usageGoldens")
    void everyUsageGoldenParsesAndMatchesTheSchema(Path file) throws IOException {
        String json = Files.readString(file);

        UsageRecorded event = MAPPER.readValue(json, UsageRecorded.class);

        assertThat(event.type()).isEqualTo(UsageRecorded.TYPE);
        assertThat(event.version()).isEqualTo(1);
        assertThat(validate("usage-recorded.v1", json)).isEmpty();
        assertThat(validate("usage-recorded.v1", MAPPER.writeValueAsString(event))).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("proxyKeyGoldens")
    void everyProxyKeyGoldenParsesIntoItsFactAndMatchesTheSchema(Path file) throws IOException {
        String json = Files.readString(file);

        ProxyKeyEvent event = MAPPER.readValue(json, ProxyKeyEvent.class);

        String expectedType = SCHEMA_READER.readTree(json).get("type").asText();
        assertThat(event).isInstanceOf(expectedType.equals(ProxyKeyIssued.TYPE) ? ProxyKeyIssued.class
                : ProxyKeyRevoked.class);
        assertThat(validate("proxy-key-event.v1", json)).isEmpty();
        assertThat(validate("proxy-key-event.v1", MAPPER.writeValueAsString(event))).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("providerGoldens")
    void everyProviderGoldenParsesAndMatchesTheSchema(Path file) throws IOException {
        String json = Files.readString(file);

        ProviderChanged event = MAPPER.readValue(json, ProviderChanged.class);

        assertThat(event.type()).isEqualTo(ProviderChanged.TYPE);
        assertThat(event.version()).isEqualTo(1);
        assertThat(validate("provider-changed.v1", json)).isEmpty();
        assertThat(validate("provider-changed.v1", MAPPER.writeValueAsString(event))).isEmpty();
    }

    @Test
    void schemaRequiresARouteForAProviderThatStillExists() throws IOException {
        String json = goldenText("admin/provider.v1/created.json")
                .replace("\"baseUrl\": \"https://llm.acme.example/v1\",", "");

        assertThat(validate("provider-changed.v1", json)).isNotEmpty();
        assertThatThrownBy(() -> MAPPER.readValue(json, ProviderChanged.class)).hasMessageContaining("baseUrl");
    }

    @Test
    void deletedProviderEventRoundTripsWithoutARoute() throws IOException {
        ProviderChanged deleted = new ProviderChanged(UUID.randomUUID(), null, 0, Instant.parse("2026-11-21T10:00:00Z"),
                UUID.randomUUID(), "acme", "acme-vllm", null, null, null, true);

        String json = MAPPER.writeValueAsString(deleted);

        assertThat(json).contains("\"type\":\"provider.changed\"", "\"deleted\":true").doesNotContain("baseUrl");
        assertThat(MAPPER.readValue(json, ProviderChanged.class)).isEqualTo(deleted);
        assertThat(validate("provider-changed.v1", json)).isEmpty();
    }

    @Test
    void fullUsageSampleKeepsEveryField() throws IOException {
        UsageRecorded event = MAPPER.readValue(goldenText("usage/usage-recorded.v1/full.json"), UsageRecorded.class);

        assertThat(event.usage()).isEqualTo(new TokenUsage(2100, 87, 2048, 0, 0));
        assertThat(event.region()).isEqualTo("eu-west-1");
        assertThat(event.firstByteMs()).isEqualTo(212L);
        assertThat(event.streamed()).isTrue();
        assertThat(event.subjectKey()).isEqualTo("acme/0f1d2c3b-4a59-4e68-9d7c-8b9a0f1e2d3c");
    }

    @Test
    void writtenEventRoundTripsAndCarriesTypeAndVersion() throws IOException {
        UsageRecorded event = new UsageRecorded(UUID.randomUUID(), null, 0, Instant.parse("2026-11-21T10:00:00Z"),
                "local", "acme", "alice", "proxy_key", UUID.randomUUID().toString(), "openai", "gpt-4o-mini",
                "chat.completions", false, 200, new TokenUsage(10, 5, 0, 0, 0), 12, 8L, null);

        String json = MAPPER.writeValueAsString(event);

        assertThat(json).contains("\"type\":\"usage.recorded\"", "\"version\":1", "\"occurredAt\":\"2026-11-21T10:00:00Z\"");
        assertThat(MAPPER.readValue(json, UsageRecorded.class)).isEqualTo(event);
        assertThat(validate("usage-recorded.v1", json)).isEmpty();
    }

    @Test
    void usageEventsWrittenBeforeTiersParseWithoutATierAndWriteNone() throws IOException {
        for (String sample : List.of("minimal.json", "full.json", "with-budget-grants.json", "with-unknown-field.json")) {
            String json = goldenText("usage/usage-recorded.v1/" + sample);
            assertThat(json).as(sample + " predates the tier").doesNotContain("\"tier\"");

            UsageRecorded event = MAPPER.readValue(json, UsageRecorded.class);

            assertThat(event.tier()).as(sample).isNull();
            assertThat(MAPPER.writeValueAsString(event)).as(sample).doesNotContain("tier");
        }
    }

    @Test
    void usageEventWithATierKeepsItThroughARoundTrip() throws IOException {
        UsageRecorded event = MAPPER.readValue(goldenText("usage/usage-recorded.v1/with-tier.json"),
                UsageRecorded.class);

        assertThat(event.tier()).isEqualTo("pro");
        assertThat(event.budgetGrants()).isNull();
        String json = MAPPER.writeValueAsString(event);
        assertThat(json).contains("\"tier\":\"pro\"");
        assertThat(MAPPER.readValue(json, UsageRecorded.class)).isEqualTo(event);
        assertThat(validate("usage-recorded.v1", json)).isEmpty();
    }

    @Test
    void writtenEventWithTierAndGrantsRoundTrips() throws IOException {
        UsageRecorded event = new UsageRecorded(UUID.randomUUID(), null, 0, Instant.parse("2026-12-04T10:00:00Z"),
                "local", "acme", "license:1", "proxy_key", UUID.randomUUID().toString(), "openai", "gpt-4o-mini",
                "chat.completions", false, 200, new TokenUsage(10, 5, 0, 0, 0), 12, 8L, null,
                List.of(UUID.randomUUID()), "free");

        String json = MAPPER.writeValueAsString(event);

        assertThat(json).contains("\"tier\":\"free\"");
        UsageRecorded read = MAPPER.readValue(json, UsageRecorded.class);
        assertThat(read).isEqualTo(event);
        assertThat(read.tier()).isEqualTo("free");
        assertThat(validate("usage-recorded.v1", json)).isEmpty();
    }

    @Test
    void aBlankTierIsNoTierAndTheSchemaRefusesAnEmptyOne() throws IOException {
        String json = goldenText("usage/usage-recorded.v1/with-tier.json").replace("\"tier\": \"pro\"", "\"tier\": \"\"");

        assertThat(validate("usage-recorded.v1", json)).isNotEmpty();
        UsageRecorded event = MAPPER.readValue(json, UsageRecorded.class);
        assertThat(event.tier()).isNull();
        assertThat(MAPPER.writeValueAsString(event)).doesNotContain("tier");
    }

    @Test
    void aTierBudgetStateNamesItsTierInTheKeyAndOlderScopesStillParse() throws IOException {
        BudgetState tier = MAPPER.readValue(goldenText("usage/budget-state.v1/tier-budget-exhausted.json"),
                BudgetState.class);

        assertThat(tier.scope()).isEqualTo("tier");
        assertThat(tier.subject()).isEqualTo("free");
        assertThat(tier.key()).isEqualTo("acme/tier/free/1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e/day");
        assertThat(MAPPER.readValue(MAPPER.writeValueAsString(tier), BudgetState.class)).isEqualTo(tier);
        assertThat(MAPPER.readValue(goldenText("usage/budget-state.v1/key-budget-exhausted.json"), BudgetState.class)
                .scope()).isEqualTo("proxy-key");
        String unknownScope = goldenText("usage/budget-state.v1/tier-budget-exhausted.json")
                .replace("\"scope\": \"tier\"", "\"scope\": \"team\"");
        assertThat(validate("budget-state.v1", unknownScope)).isNotEmpty();
        assertThatThrownBy(() -> MAPPER.readValue(unknownScope, BudgetState.class)).hasMessageContaining("team");
    }

    @Test
    void schemaRejectsAnEventWithoutTenant() throws IOException {
        String json = goldenText("usage/usage-recorded.v1/minimal.json").replace("\"tenantId\": \"acme\",", "");

        assertThat(validate("usage-recorded.v1", json)).isNotEmpty();
    }

    @Test
    void unknownProxyKeyFactIsRefusedRatherThanGuessed() {
        String json = """
                {"type":"proxy-key.exploded","eventId":"%s","version":1,"occurredAt":"2026-11-21T10:00:00Z",
                 "keyId":"%s","tenantId":"acme","keyHash":"%s"}""".formatted(UUID.randomUUID(), UUID.randomUUID(),
                "a".repeat(64));

        assertThatThrownBy(() -> MAPPER.readValue(json, ProxyKeyEvent.class))
                .hasMessageContaining("proxy-key.exploded");
    }

    @Test
    void issuedEventNeverCarriesAProxyKey() throws IOException {
        ProxyKeyIssued issued = new ProxyKeyIssued(UUID.randomUUID(), 0, Instant.now(), UUID.randomUUID(), "acme",
                "alice", "b".repeat(64), "Qx9a", List.of("openai"), null, null, null, null, null, null);

        String json = MAPPER.writeValueAsString(issued);

        assertThat(json).doesNotContain("px_").contains("\"type\":\"proxy-key.issued\"");
    }

    @Test
    void issuedForDeviceSampleCarriesTheDeviceBinding() throws IOException {
        ProxyKeyIssued issued = (ProxyKeyIssued) MAPPER.readValue(
                goldenText("admin/proxy-key.v1/issued-for-device.json"), ProxyKeyEvent.class);

        assertThat(issued.licenseId()).isEqualTo(UUID.fromString("7d3f5a9e-2b1c-4e8d-9f6a-3c2b1a0e9d8c"));
        assertThat(issued.hardwareIdHash()).isEqualTo("58c82fbac9b4ad6cc4b5e3b1d07e1d8a0a3d3f2a3b6c1e0f9d8c7b6a5e4d3c2b");
        assertThat(issued.userId()).isEqualTo("license:7d3f5a9e-2b1c-4e8d-9f6a-3c2b1a0e9d8c");
    }

    @Test
    void deviceKeySampleNamesItsLicenseTier() throws IOException {
        ProxyKeyIssued issued = (ProxyKeyIssued) MAPPER.readValue(
                goldenText("admin/proxy-key.v1/issued-for-device-with-tier.json"), ProxyKeyEvent.class);

        assertThat(issued.licenseTier()).isEqualTo("pro");
        assertThat(issued.licenseId()).isEqualTo(UUID.fromString("7d3f5a9e-2b1c-4e8d-9f6a-3c2b1a0e9d8c"));
    }

    @Test
    void deviceKeyWrittenBeforeTiersParsesWithoutATier() throws IOException {
        ProxyKeyIssued issued = (ProxyKeyIssued) MAPPER.readValue(
                goldenText("admin/proxy-key.v1/issued-for-device.json"), ProxyKeyEvent.class);

        assertThat(issued.licenseTier()).isNull();
        assertThat(MAPPER.writeValueAsString(issued)).doesNotContain("licenseTier");
    }

    static Stream<Path> providerKeyGoldens() throws Exception {
        return golden("admin/provider-key.v1");
    }

    @ParameterizedTest
    @MethodSource("providerKeyGoldens")
    void everyProviderKeyGoldenParsesAndMatchesTheSchema(Path file) throws IOException {
        String json = Files.readString(file);

        ProviderKeyChanged event = MAPPER.readValue(json, ProviderKeyChanged.class);

        assertThat(event.type()).isEqualTo(ProviderKeyChanged.TYPE);
        assertThat(event.version()).isEqualTo(1);
        assertThat(ProviderKeyChanged.ACTIONS).contains(event.action());
        assertThat(validate("provider-key-changed.v1", json)).isEmpty();
        assertThat(validate("provider-key-changed.v1", MAPPER.writeValueAsString(event))).isEmpty();
    }

    @Test
    void organisationKeyEventHasNoUserAndAStarInItsRecordKey() throws IOException {
        ProviderKeyChanged event = MAPPER.readValue(goldenText("admin/provider-key.v1/organisation-key-deleted.json"),
                ProviderKeyChanged.class);

        assertThat(event.userId()).isNull();
        assertThat(ProviderKeyChanged.key(event.tenantId(), event.userId(), event.provider()))
                .isEqualTo("acme/*/anthropic");
        assertThat(ProviderKeyChanged.key("acme", "alice", "openai")).isEqualTo("acme/alice/openai");
    }

    @Test
    void providerKeyEventWritesExactlyItsFieldsAndNoKeyMaterial() throws IOException {
        ProviderKeyChanged event = new ProviderKeyChanged(UUID.randomUUID(), null, 0,
                Instant.parse("2026-11-22T10:00:00Z"), "acme", "alice", "openai", ProviderKeyChanged.STORED);

        String json = MAPPER.writeValueAsString(event);

        assertThat(MAPPER.readTree(json).propertyNames()).containsExactlyInAnyOrder("eventId", "type",
                "version", "occurredAt", "tenantId", "userId", "provider", "action");
        assertThat(MAPPER.readValue(json, ProviderKeyChanged.class)).isEqualTo(event);
        assertThat(validate("provider-key-changed.v1", json)).isEmpty();
    }

    @Test
    void providerKeySchemaRefusesKeyMaterialAndUnknownActions() throws IOException {
        String stored = goldenText("admin/provider-key.v1/user-key-stored.json");
        String withHint = stored.replace("\"action\": \"stored\"", "\"action\": \"stored\", \"hint\": \"Qx9a\"");
        String replaced = stored.replace("\"stored\"", "\"replaced\"");

        assertThat(withHint).contains("hint");
        assertThat(validate("provider-key-changed.v1", withHint)).isNotEmpty();
        assertThat(validate("provider-key-changed.v1", replaced)).isNotEmpty();
        assertThatThrownBy(() -> MAPPER.readValue(replaced, ProviderKeyChanged.class)).hasMessageContaining("replaced");
    }

    @Test
    void schemaRefusesAHardwareIdInsteadOfItsHash() throws IOException {
        String json = goldenText("admin/proxy-key.v1/issued-for-device.json")
                .replace("58c82fbac9b4ad6cc4b5e3b1d07e1d8a0a3d3f2a3b6c1e0f9d8c7b6a5e4d3c2b", "hw-123");

        assertThat(validate("proxy-key-event.v1", json)).isNotEmpty();
    }

    private static Set<ValidationMessage> validate(String schemaName, String json) throws IOException {
        try (InputStream schema = ContractCompatibilityTest.class.getResourceAsStream(
                "/schemas/" + schemaName + ".schema.json")) {
            JsonSchema jsonSchema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schema);
            return jsonSchema.validate(SCHEMA_READER.readTree(json));
        }
    }

    private static Stream<Path> golden(String folder) throws IOException, URISyntaxException {
        Path dir = Path.of(ContractCompatibilityTest.class.getResource("/golden/" + folder).toURI());
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertThat(files).as("golden samples in " + folder).isNotEmpty();
        return files.stream();
    }

    private static String goldenText(String relative) throws IOException {
        try (InputStream in = ContractCompatibilityTest.class.getResourceAsStream("/golden/" + relative)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
