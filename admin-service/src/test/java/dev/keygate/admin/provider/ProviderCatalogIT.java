package dev.keygate.admin.provider;

import dev.keygate.admin.AdminTestServers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ModelPriced;
import dev.keygate.contracts.admin.v1.ProviderChanged;
import dev.keygate.testkit.TopicRecorder;
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
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.RequestBuilder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.jwt;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;

/**
 * Seed 002's provider and model API against real PostgreSQL, Debezium and Kafka. keyvault is deliberately absent
 * (its URL points at a closed port), so a request carrying an {@code api_key} proves it fails cleanly with 503 and
 * leaves nothing behind. Every response body of the class is checked for the keys sent.
 */
@SpringBootTest
@AutoConfigureMockMvc
class ProviderCatalogIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String SECRET = "sk-live-0123456789abcdefSECRET";
    private static final List<String> RESPONSES = new ArrayList<>();

    @Autowired
    MockMvc mvc;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    CatalogLoader catalogLoader;

    @Autowired
    CatalogLoader loader;

    private TopicRecorder topic;

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) {
        // A database, replication slot and offset topic of its own: other ITs' contexts may still hold theirs.
        AdminTestServers.register(registry, "admin_catalog");
        registry.add("keygate.outbox.slot-name", () -> "keygate_catalog_it");
        registry.add("keygate.outbox.offset-topic", () -> "keygate.admin.catalog-it-offsets");
        registry.add("keygate.keyvault.url", () -> "https://127.0.0.1:1");
        registry.add("keygate.catalog.allowed-private-hosts", () -> "10.20.30.0/24");
    }

    @BeforeEach
    void subscribe() {
        topic = TopicRecorder.subscribe(Topics.ADMIN_PROVIDERS);
    }

    @AfterEach
    void close() {
        topic.close();
    }

    @AfterAll
    static void noResponseEverCarriedAKey() {
        assertThat(RESPONSES).isNotEmpty().noneMatch(body -> body.contains(SECRET) || body.contains("sk-live-"));
    }

    @Test
    void everySignedInRoleListsThePredefinedCatalogWithPricesAndWithoutKeys() throws Exception {
        for (JwtRequestPostProcessor caller : List.of(developer("dora", "acme"), analyst("anna", "acme"),
                admin("ada", "acme"))) {
            JsonNode providers = json(call(get("/api/v1/providers").with(caller), 200));

            assertThat(names(providers)).contains("openai", "anthropic", "gemini", "xai", "openclaw", "brave", "e2b");
            JsonNode openai = byName(providers, "openai");
            assertThat(openai.get("display_name").asString()).isEqualTo("OpenAI");
            assertThat(openai.get("base_url").asString()).isEqualTo("https://api.openai.com");
            assertThat(openai.get("auth_scheme").asString()).isEqualTo("bearer");
            assertThat(openai.get("kind").asString()).isEqualTo("llm");
            assertThat(openai.get("predefined").asBoolean()).isTrue();
            assertThat(openai.get("has_api_key").asBoolean()).isFalse();
            assertThat(openai.has("api_key")).isFalse();
            JsonNode gpt4o = byName(openai.get("models"), "gpt-4o");
            assertThat(gpt4o.get("pricing").get("input_per_million").decimalValue()).isEqualByComparingTo("2.5");
            assertThat(gpt4o.get("pricing").get("currency").asString()).isEqualTo("USD");
            assertThat(byName(providers, "brave").get("auth_param").asString()).isEqualTo("X-Subscription-Token");
            assertThat(byName(providers, "anthropic").get("auth_scheme").asString()).isEqualTo("x-api-key");
        }
    }

    @Test
    void reloadingTheCatalogKeepsIdsAndLeavesUnchangedEntriesUntouched() throws Exception {
        JsonNode before = json(call(get("/api/v1/providers/gemini").with(admin("ada", "acme")), 200));

        loader.afterSingletonsInstantiated();

        JsonNode after = json(call(get("/api/v1/providers/gemini").with(admin("ada", "acme")), 200));
        assertThat(after.get("id")).isEqualTo(before.get("id"));
        assertThat(after.get("updated_at")).isEqualTo(before.get("updated_at"));
        assertThat(after.get("models")).isEqualTo(before.get("models"));
        assertThat(UUID.fromString(after.get("id").asString()))
                .isEqualTo(UUID.nameUUIDFromBytes("keygate/provider/gemini".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void withKeysListsOnlyProvidersTheCallerHasAKeyFor() throws Exception {
        String custom = unique("keyed");
        create("acme", custom, "https://8.8.8.8/v1");
        // The metadata providerkey keeps once keyvault sealed a key (keyvault itself is not running here).
        for (String provider : List.of("anthropic", custom)) {
            jdbc.update("""
                    insert into provider_key (id, tenant_id, user_id, provider, secret_id, hint, fingerprint, created_at,
                                              updated_at)
                    values (?, 'acme', 'keyholder', ?, ?, 'wxyz', 'fp', now(), now())""",
                    UUID.randomUUID(), provider, UUID.randomUUID());
        }

        JsonNode withKeys = json(call(get("/api/v1/providers/with-keys").with(developer("keyholder", "acme")), 200));
        assertThat(names(withKeys)).containsExactlyInAnyOrder("anthropic", custom);
        assertThat(withKeys).allSatisfy(provider -> assertThat(provider.get("has_api_key").asBoolean()).isTrue());
        assertThat(byName(withKeys, "anthropic").get("models").size()).isPositive();
        JsonNode all = json(call(get("/api/v1/providers").with(developer("keyholder", "acme")), 200));
        assertThat(byName(all, "anthropic").get("has_api_key").asBoolean()).isTrue();
        assertThat(byName(all, "openai").get("has_api_key").asBoolean()).isFalse();
        assertThat(json(call(get("/api/v1/providers/anthropic").with(developer("keyholder", "acme")), 200))
                .get("has_api_key").asBoolean()).isTrue();

        // A key is its owner's: a colleague, or a namesake in another tenant, has none.
        assertThat(json(call(get("/api/v1/providers/with-keys").with(developer("colleague", "acme")), 200)).size())
                .isZero();
        assertThat(json(call(get("/api/v1/providers/with-keys").with(developer("keyholder", "globex")), 200)).size())
                .isZero();
        assertThat(String.join("", RESPONSES)).doesNotContain("wxyz");
    }

    @Test
    void getsAProviderByIdOrByNameAndAnswers404ForAnUnknownOne() throws Exception {
        JsonNode byName = json(call(get("/api/v1/providers/anthropic").with(developer("dora", "acme")), 200));
        String id = byName.get("id").asString();

        JsonNode byId = json(call(get("/api/v1/providers/" + id).with(analyst("anna", "acme")), 200));
        assertThat(byId.get("name").asString()).isEqualTo("anthropic");
        assertThat(byId.get("models").size()).isPositive();

        JsonNode missing = json(call(get("/api/v1/providers/" + UUID.randomUUID()).with(developer("dora", "acme")),
                404));
        assertThat(missing.get("type").asString()).endsWith("/not-found");
        call(get("/api/v1/providers/no-such-provider").with(developer("dora", "acme")), 404);
    }

    @Test
    void createsACustomProviderVisibleOnlyToItsTenantAndAnnouncesItsLifecycle() throws Exception {
        String name = unique("acme-vllm");
        MvcResult created = mvc.perform(post("/api/v1/providers").with(admin("ada", "acme"))
                        .contentType(MediaType.APPLICATION_JSON)
                        .content("""
                                {"name": "%s", "display_name": "Acme vLLM", "base_url": "https://8.8.8.8/v1/",
                                 "models": ["llama-3.3-70b", "qwen2.5-coder"]}""".formatted(name)))
                .andReturn();
        JsonNode provider = json(record(created, 201));
        String id = provider.get("id").asString();
        assertThat(created.getResponse().getHeader("Location")).isEqualTo("/api/v1/providers/" + id);
        assertThat(provider.get("name").asString()).isEqualTo(name);
        assertThat(provider.get("display_name").asString()).isEqualTo("Acme vLLM");
        assertThat(provider.get("base_url").asString()).isEqualTo("https://8.8.8.8/v1");
        assertThat(provider.get("auth_scheme").asString()).isEqualTo("bearer");
        assertThat(provider.get("predefined").asBoolean()).isFalse();
        assertThat(provider.get("has_api_key").asBoolean()).isFalse();
        assertThat(names(provider.get("models"))).containsExactly("llama-3.3-70b", "qwen2.5-coder");

        assertThat(names(json(call(get("/api/v1/providers").with(developer("dora", "acme")), 200)))).contains(name);
        call(get("/api/v1/providers/" + id).with(developer("dora", "acme")), 200);

        // Tenant isolation: globex neither sees, reads, changes nor deletes acme's provider.
        assertThat(names(json(call(get("/api/v1/providers").with(admin("gus", "globex")), 200)))).doesNotContain(name);
        call(get("/api/v1/providers/" + id).with(admin("gus", "globex")), 404);
        call(get("/api/v1/providers/" + name).with(admin("gus", "globex")), 404);
        call(get("/api/v1/providers/" + id + "/models").with(admin("gus", "globex")), 404);
        call(put("/api/v1/providers/" + id).with(admin("gus", "globex")).contentType(MediaType.APPLICATION_JSON)
                .content("{\"display_name\": \"Hijacked\"}"), 404);
        call(delete("/api/v1/providers/" + id).with(admin("gus", "globex")), 404);

        ProviderChanged createdEvent = awaitEvent(id, false);
        assertThat(createdEvent.tenantId()).isEqualTo("acme");
        assertThat(createdEvent.name()).isEqualTo(name);
        assertThat(createdEvent.baseUrl()).isEqualTo("https://8.8.8.8/v1");
        assertThat(createdEvent.authScheme()).isEqualTo("bearer");

        call(delete("/api/v1/providers/" + id).with(admin("ada", "acme")), 204);
        assertThat(awaitEvent(id, true).baseUrl()).isNull();
        call(get("/api/v1/providers/" + id).with(admin("ada", "acme")), 404);
        call(delete("/api/v1/providers/" + id).with(admin("ada", "acme")), 404);
    }

    @Test
    void duplicateNamesAreRefusedWith409WithinATenantButNotAcrossTenants() throws Exception {
        String name = unique("shared-name");
        create("acme", name, "https://8.8.8.8/v1");

        JsonNode again = json(call(post("/api/v1/providers").with(admin("ada", "acme"))
                .contentType(MediaType.APPLICATION_JSON)
                .content("{\"name\": \"%s\", \"base_url\": \"https://8.8.4.4\"}".formatted(name)), 409));
        assertThat(again.get("type").asString()).endsWith("/duplicate-name");
        assertThat(again.get("detail").asString()).contains(name);

        call(post("/api/v1/providers").with(admin("ada", "acme")).contentType(MediaType.APPLICATION_JSON)
                .content("{\"name\": \"openai\", \"base_url\": \"https://8.8.4.4\"}"), 409);

        create("globex", name, "https://8.8.4.4/v1");
    }

    @Test
    void predefinedProvidersAndModelsCannotBeDeletedOrChanged() throws Exception {
        JsonNode refused = json(call(delete("/api/v1/providers/openai").with(admin("ada", "acme")), 403));
        assertThat(refused.get("detail").asString()).contains("predefined");

        String openaiId = json(call(get("/api/v1/providers/openai").with(admin("ada", "acme")), 200))
                .get("id").asString();
        call(delete("/api/v1/providers/" + openaiId).with(admin("ada", "acme")), 403);
        call(put("/api/v1/providers/openai").with(admin("ada", "acme")).contentType(MediaType.APPLICATION_JSON)
                .content("{\"base_url\": \"https://8.8.8.8\"}"), 403);

        String gpt4o = byName(json(call(get("/api/v1/providers/openai/models").with(admin("ada", "acme")), 200)),
                "gpt-4o").get("id").asString();
        call(delete("/api/v1/providers/models/" + gpt4o).with(admin("ada", "acme")), 403);

        JsonNode openai = json(call(get("/api/v1/providers/" + openaiId).with(admin("ada", "acme")), 200));
        assertThat(openai.get("base_url").asString()).isEqualTo("https://api.openai.com");
        assertThat(names(openai.get("models"))).contains("gpt-4o");
    }

    @Test
    void updatesOnlyTheFieldsSentAndAnnouncesTheNewRoute() throws Exception {
        String name = unique("upd");
        String id = create("acme", name, "https://8.8.8.8/v1").get("id").asString();
        awaitEvent(id, false);

        JsonNode renamed = json(call(put("/api/v1/providers/" + id).with(admin("ada", "acme"))
                .contentType(MediaType.APPLICATION_JSON).content("{\"display_name\": \"Renamed\"}"), 200));
        assertThat(renamed.get("display_name").asString()).isEqualTo("Renamed");
        assertThat(renamed.get("base_url").asString()).isEqualTo("https://8.8.8.8/v1");

        // A range the operator allowed may be private and plain http.
        JsonNode moved = json(call(put("/api/v1/providers/" + name).with(admin("ada", "acme"))
                .contentType(MediaType.APPLICATION_JSON)
                .content("{\"base_url\": \"http://10.20.30.40:8000/v1\", \"auth_scheme\": \"header\","
                        + " \"auth_param\": \"X-Api-Token\"}"), 200));
        assertThat(moved.get("display_name").asString()).isEqualTo("Renamed");
        assertThat(moved.get("base_url").asString()).isEqualTo("http://10.20.30.40:8000/v1");
        assertThat(moved.get("auth_param").asString()).isEqualTo("X-Api-Token");

        await().atMost(Duration.ofSeconds(30)).until(() -> events(id).stream()
                .anyMatch(event -> "http://10.20.30.40:8000/v1".equals(event.baseUrl())
                        && "X-Api-Token".equals(event.authParam())));

        call(put("/api/v1/providers/" + id).with(admin("ada", "acme")).contentType(MediaType.APPLICATION_JSON)
                .content("{\"auth_scheme\": \"basic\"}"), 400);
        call(put("/api/v1/providers/" + id).with(admin("ada", "acme")).contentType(MediaType.APPLICATION_JSON)
                .content("{\"display_name\": \"   \"}"), 400);
    }

    @Test
    void modelsAreListedAddedAndDeletedPerTenant() throws Exception {
        String name = unique("models");
        String id = create("acme", name, "https://8.8.8.8/v1").get("id").asString();

        assertThat(names(json(call(get("/api/v1/providers/" + id + "/models").with(developer("dora", "acme")), 200))))
                .containsExactly("model-a");

        JsonNode added = json(call(post("/api/v1/providers/" + id + "/models").with(admin("ada", "acme"))
                .contentType(MediaType.APPLICATION_JSON)
                .content("""
                        {"name": "model-b", "display_name": "Model B",
                         "pricing": {"input_per_million": 0.5, "output_per_million": 1.5}}"""), 201));
        assertThat(added.get("display_name").asString()).isEqualTo("Model B");
        assertThat(added.get("predefined").asBoolean()).isFalse();
        assertThat(added.get("pricing").get("output_per_million").decimalValue()).isEqualByComparingTo("1.5");
        call(post("/api/v1/providers/" + id + "/models").with(admin("ada", "acme"))
                .contentType(MediaType.APPLICATION_JSON).content("{\"name\": \"model-b\"}"), 409);
        call(post("/api/v1/providers/" + id + "/models").with(admin("ada", "acme"))
                .contentType(MediaType.APPLICATION_JSON).content("{\"name\": \" \"}"), 400);
        call(post("/api/v1/providers/" + id + "/models").with(admin("ada", "acme"))
                .contentType(MediaType.APPLICATION_JSON)
                .content("{\"name\": \"model-c\", \"pricing\": {\"input_per_million\": -1, \"output_per_million\": 1}}"),
                400);

        // A tenant may add its own model to a predefined provider; only that tenant sees it.
        String preview = unique("gpt-preview");
        JsonNode own = json(call(post("/api/v1/providers/openai/models").with(admin("ada", "acme"))
                .contentType(MediaType.APPLICATION_JSON).content("{\"name\": \"%s\"}".formatted(preview)), 201));
        call(post("/api/v1/providers/openai/models").with(admin("ada", "acme"))
                .contentType(MediaType.APPLICATION_JSON).content("{\"name\": \"gpt-4o\"}"), 409);
        assertThat(names(json(call(get("/api/v1/providers/openai/models").with(developer("dora", "acme")), 200))))
                .contains(preview, "gpt-4o");
        assertThat(names(json(call(get("/api/v1/providers/openai/models").with(admin("gus", "globex")), 200))))
                .contains("gpt-4o").doesNotContain(preview);
        call(delete("/api/v1/providers/models/" + own.get("id").asString()).with(admin("gus", "globex")), 404);

        call(delete("/api/v1/providers/models/" + own.get("id").asString()).with(admin("ada", "acme")), 204);
        call(delete("/api/v1/providers/models/" + added.get("id").asString()).with(admin("ada", "acme")), 204);
        call(delete("/api/v1/providers/models/" + added.get("id").asString()).with(admin("ada", "acme")), 404);
        assertThat(names(json(call(get("/api/v1/providers/" + id + "/models").with(admin("ada", "acme")), 200))))
                .containsExactly("model-a");
        call(delete("/api/v1/providers/models/not-a-uuid").with(admin("ada", "acme")), 400);
    }

    @Test
    void developersAndAnalystsMayReadButNotChangeTheCatalog() throws Exception {
        String id = create("acme", unique("roles"), "https://8.8.8.8/v1").get("id").asString();

        for (JwtRequestPostProcessor reader : List.of(developer("dora", "acme"), analyst("anna", "acme"))) {
            JsonNode refused = json(call(post("/api/v1/providers").with(reader).contentType(MediaType.APPLICATION_JSON)
                    .content("{\"name\": \"%s\", \"base_url\": \"https://8.8.8.8\"}".formatted(unique("dev"))), 403));
            assertThat(refused.get("type").asString()).endsWith("/forbidden");
            call(delete("/api/v1/providers/" + id).with(reader), 403);
            call(post("/api/v1/providers/" + id + "/models").with(reader).contentType(MediaType.APPLICATION_JSON)
                    .content("{\"name\": \"x\"}"), 403);
            call(delete("/api/v1/providers/models/" + UUID.randomUUID()).with(reader), 403);
        }
        JsonNode developerEdit = json(call(put("/api/v1/providers/" + id).with(developer("dora", "acme"))
                .contentType(MediaType.APPLICATION_JSON).content("{\"display_name\": \"Mine now\"}"), 403));
        assertThat(developerEdit.get("detail").asString()).contains("platform admin");
        call(put("/api/v1/providers/" + id).with(analyst("anna", "acme")).contentType(MediaType.APPLICATION_JSON)
                .content("{\"api_key\": \"" + SECRET + "\"}"), 403);
        call(get("/api/v1/providers"), 401);
        assertThat(json(call(get("/api/v1/providers/" + id).with(admin("ada", "acme")), 200))
                .get("display_name").asString()).isNotEqualTo("Mine now");
    }

    @Test
    void baseUrlsPointingInsideTheNetworkAreRefusedWithTheFix() throws Exception {
        for (String target : List.of("https://127.0.0.1:8080/v1", "https://localhost/v1", "https://[::1]/v1",
                "https://169.254.169.254/latest", "https://10.0.0.8/v1", "https://192.168.1.1", "https://0.0.0.0",
                "https://[fd00::1]/v1", "http://8.8.8.8/v1", "ftp://8.8.8.8", "https://user:pw@8.8.8.8/v1")) {
            JsonNode problem = json(call(post("/api/v1/providers").with(admin("ada", "acme"))
                    .contentType(MediaType.APPLICATION_JSON)
                    .content("{\"name\": \"%s\", \"base_url\": \"%s\"}".formatted(unique("ssrf"), target)), 400));
            assertThat(problem.get("type").asString()).as(target).endsWith("/invalid-request");
            assertThat(problem.get("detail").asString()).as(target).containsAnyOf("allowed-private-hosts", "https://",
                    "credentials");
        }
        String id = create("acme", unique("ssrf-put"), "https://8.8.8.8/v1").get("id").asString();
        call(put("/api/v1/providers/" + id).with(admin("ada", "acme")).contentType(MediaType.APPLICATION_JSON)
                .content("{\"base_url\": \"https://172.16.5.5/v1\"}"), 400);
        assertThat(json(call(get("/api/v1/providers/" + id).with(admin("ada", "acme")), 200))
                .get("base_url").asString()).isEqualTo("https://8.8.8.8/v1");
    }

    @Test
    void invalidRequestsAnswer400() throws Exception {
        for (String body : List.of("{}", "{\"base_url\": \"https://8.8.8.8\"}",
                "{\"name\": \"Upper\", \"base_url\": \"https://8.8.8.8\"}",
                "{\"name\": \"with-keys\", \"base_url\": \"https://8.8.8.8\"}",
                "{\"name\": \"%s\"}".formatted(unique("nourl")),
                "{\"name\": \"%s\", \"base_url\": \"https://8.8.8.8\", \"models\": [\"a\", \"a\"]}".formatted(unique("dup")),
                "{\"name\": \"%s\", \"base_url\": \"https://8.8.8.8\", \"auth_scheme\": \"header\"}".formatted(unique("hdr")),
                "{\"name\": ")) {
            JsonNode problem = json(call(post("/api/v1/providers").with(admin("ada", "acme"))
                    .contentType(MediaType.APPLICATION_JSON).content(body), 400));
            assertThat(problem.get("status").asInt()).as(body).isEqualTo(400);
        }
    }

    @Test
    void aKeySentWhileKeyvaultIsDownIsRefusedWith503AndNothingIsCreated() throws Exception {
        String name = unique("with-key");
        JsonNode problem = json(call(post("/api/v1/providers").with(admin("ada", "acme"))
                .contentType(MediaType.APPLICATION_JSON)
                .content("{\"name\": \"%s\", \"base_url\": \"https://8.8.8.8/v1\", \"api_key\": \"%s\"}"
                        .formatted(name, SECRET)), 503));
        assertThat(problem.get("type").asString()).endsWith("/dependency-unavailable");
        call(get("/api/v1/providers/" + name).with(admin("ada", "acme")), 404);

        // The seed's flow: any signed-in developer PUTs just an api_key onto a predefined provider.
        call(put("/api/v1/providers/openai").with(developer("dora", "acme")).contentType(MediaType.APPLICATION_JSON)
                .content("{\"api_key\": \"" + SECRET + "\"}"), 503);
        call(put("/api/v1/providers/openai").with(developer("dora", "acme")).contentType(MediaType.APPLICATION_JSON)
                .content("{\"api_key\": \"  \"}"), 400);
        assertThat(json(call(get("/api/v1/providers/openai").with(developer("dora", "acme")), 200))
                .get("has_api_key").asBoolean()).isFalse();
    }

    private JsonNode create(String tenant, String name, String baseUrl) throws Exception {
        return json(call(post("/api/v1/providers").with(admin("admin-" + tenant, tenant))
                .contentType(MediaType.APPLICATION_JSON)
                .content("{\"name\": \"%s\", \"base_url\": \"%s\", \"models\": [\"model-a\"]}".formatted(name, baseUrl)),
                201));
    }

    @Test
    void catalogPricesAreAnnouncedOnceAndATenantsCorrectionIsANewVersion() throws Exception {
        try (TopicRecorder prices = TopicRecorder.subscribe(Topics.ADMIN_MODEL_PRICES)) {
            catalogLoader.afterSingletonsInstantiated();
            Integer predefined = jdbc.queryForObject("select count(*) from model_price where tenant_id is null"
                    + " and provider = 'anthropic' and model = 'claude-sonnet-4-5'", Integer.class);
            assertThat(predefined).as("one version per catalog price, however often admin-service starts")
                    .isEqualTo(1);
            ModelPriced sonnet = JSON.readValue(prices.await(record -> record.value().contains("claude-sonnet-4-5")
                    && !record.value().contains("tenantId"), Duration.ofSeconds(30)).value(), ModelPriced.class);
            assertThat(sonnet.cacheWritePerMillion()).isEqualByComparingTo("3.75");

            JsonNode corrected = json(call(post("/api/v1/providers/openai/prices").with(admin("ada", "acme"))
                    .contentType(MediaType.APPLICATION_JSON).content("""
                            {"model":"gpt-4o-mini","input_per_million":0.10,"output_per_million":0.40,
                             "cache_read_per_million":0.05,"effective_from":"2026-01-01T00:00:00Z"}"""), 201));
            String priceId = corrected.get("id").asString();
            ModelPriced version = JSON.readValue(prices.await(priceId, "gpt-4o-mini", Duration.ofSeconds(30))
                    .value(), ModelPriced.class);
            assertThat(version.tenantId()).isEqualTo("acme");
            assertThat(version.effectiveFrom()).isEqualTo(java.time.Instant.parse("2026-01-01T00:00:00Z"));
            assertThat(version.inputPerMillion()).isEqualByComparingTo("0.10");
            assertThat(version.cacheWritePerMillion()).isNull();

            call(post("/api/v1/providers/openai/prices").with(admin("ada", "acme"))
                    .contentType(MediaType.APPLICATION_JSON).content("{\"model\":\"no-such-model\","
                            + "\"input_per_million\":1,\"output_per_million\":1}"), 404);
            assertThat(call(post("/api/v1/providers/openai/prices").with(admin("ada", "acme"))
                    .contentType(MediaType.APPLICATION_JSON).content("{\"model\":\"gpt-4o-mini\","
                            + "\"input_per_million\":-1,\"output_per_million\":1}"), 400))
                    .contains("input_per_million");
            call(post("/api/v1/providers/openai/prices").with(admin("ada", "acme"))
                    .contentType(MediaType.APPLICATION_JSON).content("{\"input_per_million\":1}"), 400);
        }
    }

    private String call(RequestBuilder request, int status) throws Exception {
        return record(mvc.perform(request).andReturn(), status);
    }

    private static String record(MvcResult result, int status) throws Exception {
        String body = result.getResponse().getContentAsString();
        RESPONSES.add(body);
        assertThat(result.getResponse().getStatus()).as(body).isEqualTo(status);
        if (status >= 400 && status != 401) {
            assertThat(result.getResponse().getContentType()).startsWith(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        }
        return body;
    }

    private ProviderChanged awaitEvent(String providerId, boolean deleted) {
        List<ProviderChanged> found = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            events(providerId).stream().filter(event -> event.deleted() == deleted).findFirst().ifPresent(found::add);
            return !found.isEmpty();
        });
        return found.get(0);
    }

    private List<ProviderChanged> events(String providerId) {
        return topic.records().stream().filter(record -> providerId.equals(record.key()))
                .peek(record -> assertThat(record.value()).doesNotContain(SECRET))
                .map(record -> JSON.readValue(record.value(), ProviderChanged.class))
                .toList();
    }

    private static JsonNode json(String body) {
        return JSON.readTree(body);
    }

    private static List<String> names(JsonNode array) {
        List<String> names = new ArrayList<>();
        array.forEach(node -> names.add(node.get("name").asString()));
        return names;
    }

    private static JsonNode byName(JsonNode array, String name) {
        for (JsonNode node : array) {
            if (name.equals(node.get("name").asString())) {
                return node;
            }
        }
        throw new AssertionError("no '" + name + "' in " + array);
    }

    private static String unique(String prefix) {
        return prefix + "-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    }

    private static JwtRequestPostProcessor admin(String user, String tenant) {
        return caller(user, tenant, "platform-admin");
    }

    private static JwtRequestPostProcessor developer(String user, String tenant) {
        return caller(user, tenant, "developer");
    }

    private static JwtRequestPostProcessor analyst(String user, String tenant) {
        return caller(user, tenant, "analyst");
    }

    private static JwtRequestPostProcessor caller(String user, String tenant, String role) {
        return jwt().jwt(token -> token.subject(user).claim("tenant_id", tenant)
                        .claim("realm_access", Map.of("roles", List.of(role))))
                .authorities(new SimpleGrantedAuthority("ROLE_" + role));
    }
}
