package dev.keygate.proxy.limits;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ProviderChanged;
import dev.keygate.contracts.admin.v1.ProviderKeyChanged;
import dev.keygate.contracts.admin.v1.ProxyKeyEvent;
import dev.keygate.contracts.admin.v1.ProxyKeyIssued;
import dev.keygate.contracts.admin.v1.ProxyKeyLimits;
import dev.keygate.contracts.admin.v1.QuotaPolicyChanged;
import dev.keygate.contracts.usage.v1.BudgetState;
import dev.keygate.proxy.clientauth.Caller;
import dev.keygate.proxy.clientauth.ProxyKeyDirectory;
import dev.keygate.testkit.LocalPki;
import dev.keygate.testkit.ServiceCertificate;
import dev.keygate.testkit.TestKafka;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole proxy on a real port with real Kafka for its admin events, a fake keyvault over mutual TLS and a fake
 * provider: limits, headers and refusals as callers and SDKs see them, and the provider-key lease cache. No
 * usage-service answers budget share requests here, so hard budgets are checked against published states only (the
 * shares are tested by BudgetSharesTest and, end to end with usage-service, by deploy/local's BudgetSharesIT).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "keygate.proxy.budgets.enabled=false",
        "keygate.proxy.response-timeout=1s",
        "keygate.proxy.connect-timeout=1s",
        "keygate.proxy.limits.max-request-body=64KB",
        "keygate.proxy.limits.ip.requests=100000",
        "keygate.proxy.limits.ip.failed-authentications=100000",
        "keygate.proxy.limits.cors.allowed-origins.acme[0]=https://app.acme.example",
        "keygate.proxy.limits.cors.allowed-origins.globex[0]=https://globex.example",
        "keygate.proxy.limits.max-in-flight-per-key=2",
        "keygate.proxy.keyvault.cache-ttl=10m"})
class ProxyLimitsIT {

    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final UUID SECRET = UUID.randomUUID();
    private static final String BROKEN = "{\"error\":{\"message\":\"upstream exploded\",\"type\":\"server_error\"}}";
    private static final AtomicInteger RESOLVES = new AtomicInteger();
    private static final AtomicInteger REJECTIONS = new AtomicInteger();
    private static final AtomicBoolean REJECT_NEXT = new AtomicBoolean();
    private static final AtomicReference<byte[]> RECEIVED = new AtomicReference<>();
    private static final ConcurrentLinkedQueue<String> UPSTREAM_KEYS = new ConcurrentLinkedQueue<>();
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final SecureRandom RANDOM = new SecureRandom();

    private static java.net.ServerSocket blackHole;
    private static DisposableServer keyvault;
    private static DisposableServer provider;
    private static KafkaProducer<String, String> producer;

    @Value("${local.server.port}")
    int port;

    @Autowired
    ProxyKeyDirectory directory;

    @Autowired
    QuotaPolicies policies;

    @Autowired
    KafkaListenerEndpointRegistry listeners;

    @Autowired
    RateLimiter limiter;

    WebTestClient client;

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) throws Exception {
        LocalPki pki = LocalPki.shared();
        ServiceCertificate proxy = pki.issue("proxy-service");
        ServiceCertificate vault = pki.issue("keyvault-service");
        keyvault = startKeyvault(vault, pki);
        provider = startProvider();
        registry.add("spring.kafka.bootstrap-servers", TestKafka::bootstrapServers);
        registry.add("spring.ssl.bundle.pem.keyvault-client.keystore.certificate", () -> "file:" + proxy.certificate());
        registry.add("spring.ssl.bundle.pem.keyvault-client.keystore.private-key", () -> "file:" + proxy.privateKey());
        registry.add("spring.ssl.bundle.pem.keyvault-client.truststore.certificate", () -> "file:" + pki.caCertificate());
        registry.add("keygate.proxy.keyvault.url", () -> "https://127.0.0.1:" + keyvault.port());
        registry.add("keygate.proxy.providers.openai.base-url", () -> "http://127.0.0.1:" + provider.port());
        registry.add("keygate.proxy.providers.gemini.base-url", () -> "http://127.0.0.1:" + provider.port());
        // Listens but never accepts: once its backlog is full, connecting to it times out.
        blackHole = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        registry.add("keygate.proxy.providers.xai.base-url", () -> "http://127.0.0.1:" + blackHole.getLocalPort());
        registry.add("server.port", () -> "0");
    }

    @AfterAll
    static void stop() {
        if (producer != null) {
            producer.close();
        }
        keyvault.disposeNow();
        provider.disposeNow();
        try {
            blackHole.close();
        }
        catch (java.io.IOException ignored) {
            // the JVM ends anyway
        }
    }

    @BeforeEach
    void client() {
        client = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port)
                .responseTimeout(Duration.ofSeconds(20)).build();
    }

    @Test
    void aQuotaPolicyEventChangesTheLimitAndThe429IsSeed001s() {
        String tenant = "tenant-" + UUID.randomUUID();
        Key key = issue(tenant, ProxyKeyLimits.NONE, List.of());
        chat(key.secret(), "gpt-4o-mini").expectStatus().isOk();

        publish(Topics.ADMIN_QUOTA_POLICIES, UUID.randomUUID().toString(), JSON.writeValueAsString(
                new QuotaPolicyChanged(UUID.randomUUID(), null, 0, Instant.now(), UUID.randomUUID(), tenant,
                        "proxy-key", key.id().toString(), null, 3, null, null, null, null, "hard", false)));
        await().atMost(PATIENCE).until(() -> policies.find(tenant, "proxy-key", key.id().toString()).size() == 1);

        chat(key.secret(), "gpt-4o-mini").expectStatus().isOk()
                .expectHeader().valueEquals(ExchangeLimits.LIMIT, "3")
                .expectHeader().valueEquals(ExchangeLimits.REMAINING, "2")
                .expectHeader().valueMatches(ExchangeLimits.RESET, "\\d{4}-\\d\\d-\\d\\dT00:00:00Z");
        chat(key.secret(), "gpt-4o-mini").expectStatus().isOk();
        chat(key.secret(), "gpt-4o-mini").expectStatus().isOk().expectHeader().valueEquals(ExchangeLimits.REMAINING, "0");

        EntityExchangeResult<byte[]> refused = chat(key.secret(), "gpt-4o-mini")
                .expectStatus().isEqualTo(429)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER)
                .expectHeader().valueEquals(ExchangeLimits.LIMIT, "3")
                .expectHeader().valueEquals(ExchangeLimits.REMAINING, "0")
                .expectHeader().valueEquals("X-Content-Type-Options", "nosniff")
                .expectHeader().valueEquals(HttpHeaders.CACHE_CONTROL, "no-store")
                .expectBody().returnResult();
        JsonNode body = JSON.readTree(refused.getResponseBody());
        assertThat(JSON.writeValueAsString(body.get("error"))).isEqualTo("{\"message\":\"Daily limit of 3 requests "
                + "exceeded. Current usage: 3\",\"type\":\"rate_limit_exceeded\",\"code\":\"rate_limit_exceeded\"}");
        assertThat(body.get("status").asInt()).isEqualTo(429);
        assertThat(body.get("detail").asString()).contains("ask a tenant admin to raise the proxy-key quota policy");
        long retryAfter = Long.parseLong(refused.getResponseHeaders().getFirst(HttpHeaders.RETRY_AFTER));
        assertThat(retryAfter).isBetween(1L, Duration.ofDays(1).toSeconds());
    }

    @Test
    void aHardBudgetUsageServicePublishesAsExhaustedRefusesTheKeyUntilItRenews() {
        String tenant = "tenant-" + UUID.randomUUID();
        Key key = issue(tenant, new ProxyKeyLimits(null, null, new java.math.BigDecimal("0.50")), List.of());
        Key other = issue(tenant, ProxyKeyLimits.NONE, List.of());
        chat(key.secret(), "gpt-4o-mini").expectStatus().isOk();
        Instant monthStart = Instant.parse(java.time.YearMonth.now(java.time.ZoneOffset.UTC) + "-01T00:00:00Z");
        Instant monthEnd = monthStart.atOffset(java.time.ZoneOffset.UTC).plusMonths(1).toInstant();

        BudgetState spent = new BudgetState(UUID.randomUUID(), null, 0, Instant.now(), tenant, "proxy-key",
                key.id().toString(), "proxy-key", "month", monthStart, monthEnd, new java.math.BigDecimal("0.50"),
                new java.math.BigDecimal("0.65"), null, 140_000, true, true);
        publish(Topics.USAGE_BUDGET_STATE, spent.key(), JSON.writeValueAsString(spent));

        await().atMost(PATIENCE).untilAsserted(() -> chat(key.secret(), "gpt-4o-mini").expectStatus().isEqualTo(429));
        EntityExchangeResult<byte[]> refused = chat(key.secret(), "gpt-4o-mini").expectStatus().isEqualTo(429)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER)
                .expectBody().returnResult();
        JsonNode body = JSON.readTree(refused.getResponseBody());
        assertThat(body.get("error").get("code").asString()).isEqualTo("insufficient_quota");
        assertThat(body.get("detail").asString()).contains("This proxy key's monthly 0.50 USD budget is spent (0.65 USD");
        assertThat(Long.parseLong(refused.getResponseHeaders().getFirst(HttpHeaders.RETRY_AFTER)))
                .isBetween(1L, Duration.between(Instant.now(), monthEnd).toSeconds() + 1);
        chat(other.secret(), "gpt-4o-mini").expectStatus().isOk(); // another key of the tenant

        BudgetState raised = new BudgetState(UUID.randomUUID(), null, 0, Instant.now(), tenant, "proxy-key",
                key.id().toString(), "proxy-key", "month", monthStart, monthEnd, new java.math.BigDecimal("5"),
                new java.math.BigDecimal("0.65"), null, 140_000, false, true);
        publish(Topics.USAGE_BUDGET_STATE, raised.key(), JSON.writeValueAsString(raised));
        await().atMost(PATIENCE).untilAsserted(() -> chat(key.secret(), "gpt-4o-mini").expectStatus().isOk());
    }

    @Test
    void seed003sRateLimitStatusAnswersForACallerAndForAnAddress() {
        Key key = issue("tenant-" + UUID.randomUUID(), new ProxyKeyLimits(10, null, null), List.of());

        JsonNode caller = JSON.readTree(client.get().uri("/api/rate-limit-status").header("x-api-key", key.secret())
                .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody());
        assertThat(caller.get("limited").asBoolean()).isTrue();
        assertThat(caller.get("limit").asLong()).isEqualTo(10);
        JsonNode address = JSON.readTree(client.get().uri("/api/rate-limit-status")
                .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody());
        assertThat(address.get("limited").asBoolean()).isTrue();

        Key unlimited = issue("tenant-" + UUID.randomUUID(), ProxyKeyLimits.NONE, List.of());
        java.net.http.HttpResponse<String> plain;
        try {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.net.http.HttpResponse<String> health = http.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://127.0.0.1:" + port + "/health"))
                    .timeout(Duration.ofSeconds(10)).GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            plain = http.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://127.0.0.1:" + port + "/api/rate-limit-status"))
                    .timeout(Duration.ofSeconds(10)).header("x-api-key", unlimited.secret()).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
        }
        catch (Exception ex) {
            throw new AssertionError(ex);
        }
        assertThat(plain.statusCode()).as(plain.body()).isEqualTo(200);
    }

    @Test
    void everyProxiedAnswerCarriesTheRateLimitHeadersOfTheTightestLimit() {
        Key key = issue("acme", new ProxyKeyLimits(50, 1000, null), List.of());

        chat(key.secret(), "gpt-4o-mini").expectStatus().isOk()
                .expectHeader().valueEquals(ExchangeLimits.LIMIT, "50")
                .expectHeader().valueEquals(ExchangeLimits.REMAINING, "49")
                .expectHeader().valueMatches(ExchangeLimits.RESET, "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:00Z");
    }

    @Test
    void aKeyWithAModelScopeMayOnlyNameItsModelsAndItsBodyReachesTheProviderUnchanged() {
        Key key = issue("acme", ProxyKeyLimits.NONE, List.of("gpt-4o-mini", "o3-*"));

        EntityExchangeResult<byte[]> refused = chat(key.secret(), "gpt-4o").expectStatus().isForbidden()
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON).expectBody().returnResult();
        assertThat(new String(refused.getResponseBody(), StandardCharsets.UTF_8))
                .contains("model-not-allowed", "may not call the model 'gpt-4o'", "gpt-4o-mini");

        String body = "{\"model\":\"o3-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello, caf\u00e9\"}]}";
        client.post().uri("/api/proxy/openai/v1/chat/completions")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + key.secret())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                .exchange().expectStatus().isOk();
        assertThat(new String(RECEIVED.get(), StandardCharsets.UTF_8)).isEqualTo(body);

        String large = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\""
                + "long ".repeat(8000) + "\"}]}";
        client.post().uri("/api/proxy/openai/v1/chat/completions")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + key.secret())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(large)
                .exchange().expectStatus().isOk();
        assertThat(new String(RECEIVED.get(), StandardCharsets.UTF_8)).isEqualTo(large);

        client.post().uri("/api/proxy/openai/v1/chat/completions")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + key.secret())
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"model\": ")
                .exchange().expectStatus().isBadRequest().expectBody().jsonPath("$.error.code").isEqualTo("invalid_json");
    }

    @Test
    void readsGeminisModelFromThePath() {
        Key key = issue("acme", ProxyKeyLimits.NONE, List.of("gemini-2.0-flash"));

        client.post().uri("/api/proxy/gemini/v1beta/models/gemini-1.5-pro:generateContent")
                .header("x-goog-api-key", key.secret())
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"contents\":[]}")
                .exchange().expectStatus().isForbidden()
                .expectBody().jsonPath("$.error.code").isEqualTo("model_not_allowed");
        client.post().uri("/api/proxy/gemini/v1beta/models/gemini-2.0-flash:generateContent")
                .header("x-goog-api-key", key.secret())
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"contents\":[]}")
                .exchange().expectStatus().isOk();
        assertThat(UPSTREAM_KEYS).contains("gemini:sk-upstream-" + RESOLVES.get());
    }

    @Test
    void refusesBodiesOverTheSizeLimitWith413() {
        Key key = issue("acme", ProxyKeyLimits.NONE, List.of());
        String big = "{\"model\":\"gpt-4o-mini\",\"input\":\"" + "x".repeat(70 * 1024) + "\"}";

        client.post().uri("/api/proxy/openai/v1/chat/completions")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + key.secret())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(big)
                .exchange().expectStatus().isEqualTo(413)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.error.code").isEqualTo("payload_too_large")
                .jsonPath("$.detail").value(detail -> assertThat(detail.toString()).contains("65536 bytes"));

        Flux<DataBuffer> chunked = Flux.range(0, 70).map(i -> DefaultDataBufferFactory.sharedInstance
                .wrap(("x".repeat(1024)).getBytes(StandardCharsets.UTF_8)));
        client.post().uri("/api/proxy/openai/v1/chat/completions")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + key.secret())
                .contentType(MediaType.APPLICATION_JSON).body(chunked, DataBuffer.class)
                .exchange().expectStatus().isEqualTo(413)
                .expectBody().jsonPath("$.error.code").isEqualTo("payload_too_large");
    }

    @Test
    void passesProviderErrorsThroughUnchanged() {
        Key key = issue("acme", ProxyKeyLimits.NONE, List.of());

        EntityExchangeResult<byte[]> answer = client.post().uri("/api/proxy/openai/v1/broken")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + key.secret())
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{}")
                .exchange().expectStatus().isEqualTo(500)
                .expectHeader().valueEquals("x-request-id", "req-123")
                .expectHeader().valueEquals(HttpHeaders.RETRY_AFTER, "7")
                .expectHeader().contentType(MediaType.APPLICATION_JSON)
                .expectBody().returnResult();

        assertThat(new String(answer.getResponseBody(), StandardCharsets.UTF_8)).isEqualTo(BROKEN);
    }

    @Test
    void answers504WhenTheProviderDoesNotAnswerInTime() {
        Key key = issue("acme", ProxyKeyLimits.NONE, List.of());

        client.post().uri("/api/proxy/openai/v1/slow")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + key.secret())
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{}")
                .exchange().expectStatus().isEqualTo(504)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.error.code").isEqualTo("upstream_timeout");
    }

    @Test
    void answers504WhenTheProviderCannotBeConnectedToInTime() throws Exception {
        Key key = issue("acme", ProxyKeyLimits.NONE, List.of());
        List<java.net.Socket> backlog = new java.util.ArrayList<>();
        boolean full = false;
        for (int i = 0; i < 8 && !full; i++) {
            java.net.Socket socket = new java.net.Socket();
            backlog.add(socket);
            try {
                socket.connect(blackHole.getLocalSocketAddress(), 300);
            }
            catch (java.net.SocketTimeoutException timedOut) {
                full = true;
            }
        }
        try {
            assertThat(full).as("the black hole's backlog filled up, so connecting to it now times out").isTrue();
            client.post().uri("/api/proxy/xai/v1/chat/completions")
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + key.secret())
                    .contentType(MediaType.APPLICATION_JSON).bodyValue("{}")
                    .exchange().expectStatus().isEqualTo(504)
                    .expectBody().jsonPath("$.error.code").isEqualTo("upstream_timeout");
        }
        finally {
            for (java.net.Socket socket : backlog) {
                socket.close();
            }
        }
    }

    @Test
    void reusesALeasedKeyAndDropsItWhenTheProviderRejectsItOrAdminAnnouncesAChange() {
        String tenant = "lease-" + UUID.randomUUID();
        Key key = issue(tenant, ProxyKeyLimits.NONE, List.of());
        int before = RESOLVES.get();

        chat(key.secret(), "gpt-4o-mini").expectStatus().isOk();
        chat(key.secret(), "gpt-4o-mini").expectStatus().isOk();
        chat(key.secret(), "gpt-4o-mini").expectStatus().isOk();
        assertThat(RESOLVES.get() - before).isEqualTo(1);

        Caller caller = new Caller(tenant, "alice", Caller.Kind.PROXY_KEY, key.id().toString(), Set.of());
        long failuresLeft = failedAuthenticationsLeft();
        REJECT_NEXT.set(true);
        chat(key.secret(), "gpt-4o-mini").expectStatus().isUnauthorized();
        await().atMost(PATIENCE).until(() -> REJECTIONS.get() > 0);
        await().atMost(PATIENCE).until(() -> limiter.status(caller).stream()
                .filter(s -> s.name().equals("proxy-key calls in flight")).findFirst().orElseThrow().remaining() == 2);
        assertThat(failedAuthenticationsLeft()).as("the provider's 401 is not the caller's failed authentication")
                .isEqualTo(failuresLeft);
        chat(key.secret(), "gpt-4o-mini").expectStatus().isOk();
        assertThat(RESOLVES.get() - before).isEqualTo(2);

        await().atMost(PATIENCE).until(() -> !listeners.getListenerContainer("provider-key-leases")
                .getAssignedPartitions().isEmpty());
        publish(Topics.ADMIN_PROVIDERS, UUID.randomUUID().toString(), JSON.writeValueAsString(new ProviderChanged(
                UUID.randomUUID(), null, 0, Instant.now(), UUID.randomUUID(), tenant, "acme-llm",
                "https://llm.acme.example", "bearer", null, false)));
        await().atMost(PATIENCE).untilAsserted(() -> {
            chat(key.secret(), "gpt-4o-mini").expectStatus().isOk();
            assertThat(RESOLVES.get() - before).isGreaterThanOrEqualTo(3);
        });
        assertThat(UPSTREAM_KEYS).allMatch(k -> k.startsWith("Bearer sk-upstream-") || k.startsWith("gemini:sk-upstream-"));
    }

    @Test
    void aChangedUserKeyDropsThatUsersLeaseAndAChangedOrganisationKeyEveryLeaseOfTheProvider() {
        String tenant = "provider-keys-" + UUID.randomUUID();
        Key alice = issue(tenant, "alice", ProxyKeyLimits.NONE, List.of());
        Key bob = issue(tenant, "bob", ProxyKeyLimits.NONE, List.of());
        int before = RESOLVES.get();
        chat(alice.secret(), "gpt-4o-mini").expectStatus().isOk();
        chat(bob.secret(), "gpt-4o-mini").expectStatus().isOk();
        chat(alice.secret(), "gpt-4o-mini").expectStatus().isOk();
        chat(bob.secret(), "gpt-4o-mini").expectStatus().isOk();
        assertThat(RESOLVES.get() - before).as("both leases are cached for the 10 minute TTL").isEqualTo(2);
        await().atMost(PATIENCE).until(() -> !listeners.getListenerContainer("provider-key-changes")
                .getAssignedPartitions().isEmpty());

        publish(Topics.ADMIN_PROVIDER_KEYS, ProviderKeyChanged.key(tenant, "alice", "openai"),
                JSON.writeValueAsString(new ProviderKeyChanged(UUID.randomUUID(), null, 0, Instant.now(), tenant,
                        "alice", "openai", ProviderKeyChanged.STORED)));
        await().atMost(PATIENCE).untilAsserted(() -> {
            chat(alice.secret(), "gpt-4o-mini").expectStatus().isOk();
            assertThat(RESOLVES.get() - before).isEqualTo(3);
        });
        chat(bob.secret(), "gpt-4o-mini").expectStatus().isOk();
        assertThat(RESOLVES.get() - before).as("bob's lease is not alice's key").isEqualTo(3);

        publish(Topics.ADMIN_PROVIDER_KEYS, ProviderKeyChanged.key(tenant, null, "openai"),
                JSON.writeValueAsString(new ProviderKeyChanged(UUID.randomUUID(), null, 0, Instant.now(), tenant,
                        null, "openai", ProviderKeyChanged.DELETED)));
        await().atMost(PATIENCE).untilAsserted(() -> {
            chat(bob.secret(), "gpt-4o-mini").expectStatus().isOk();
            assertThat(RESOLVES.get() - before).isEqualTo(4);
        });
        chat(alice.secret(), "gpt-4o-mini").expectStatus().isOk();
        assertThat(RESOLVES.get() - before).as("the organisation key may have served alice too").isEqualTo(5);
    }

    @Test
    void capsCallsInFlightPerKeyAndGivesTheSlotsBackWhenTheyEnd() {
        Key key = issue("acme", ProxyKeyLimits.NONE, List.of());
        Caller caller = new Caller("acme", "alice", Caller.Kind.PROXY_KEY, key.id().toString(), Set.of());
        for (int i = 0; i < 5; i++) {
            chat(key.secret(), "gpt-4o-mini").expectStatus().isOk();
        }
        Supplier<Long> free = () -> limiter.status(caller).stream()
                .filter(s -> s.name().equals("proxy-key calls in flight")).findFirst().orElseThrow().remaining();
        // A slot is given back once the answer is fully written, a moment after the client may have read it.
        await().atMost(PATIENCE).until(() -> free.get() == 2);

        List<reactor.core.Disposable> slow = List.of(slow(key), slow(key));
        try {
            await().atMost(PATIENCE).until(() -> free.get() == 0);
            chat(key.secret(), "gpt-4o-mini").expectStatus().isEqualTo(429)
                    .expectHeader().valueEquals(HttpHeaders.RETRY_AFTER, "1")
                    .expectBody().jsonPath("$.error.message").isEqualTo("Concurrent request limit of 2 calls in "
                            + "progress reached for this proxy key. Current usage: 2");
        }
        finally {
            await().atMost(PATIENCE).until(() -> free.get() == 2);
            slow.forEach(reactor.core.Disposable::dispose);
        }
        chat(key.secret(), "gpt-4o-mini").expectStatus().isOk();
    }

    private reactor.core.Disposable slow(Key key) {
        return org.springframework.web.reactive.function.client.WebClient.create("http://127.0.0.1:" + port).post()
                .uri("/api/proxy/openai/v1/slow").header(HttpHeaders.AUTHORIZATION, "Bearer " + key.secret())
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{}")
                .exchangeToMono(response -> response.releaseBody()).subscribe(done -> { }, error -> { });
    }

    @Test
    void answersPreflightsWithoutCredentialsAndOnlyForAllowedOrigins() {
        client.options().uri("/api/proxy/openai/v1/chat/completions")
                .header(HttpHeaders.ORIGIN, "https://app.acme.example")
                .header(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD, "POST")
                .header(HttpHeaders.ACCESS_CONTROL_REQUEST_HEADERS, "authorization, content-type")
                .exchange().expectStatus().isNoContent()
                .expectHeader().valueEquals(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, "https://app.acme.example")
                .expectHeader().valueEquals(HttpHeaders.ACCESS_CONTROL_ALLOW_HEADERS, "authorization, content-type")
                .expectHeader().doesNotExist(HttpHeaders.ACCESS_CONTROL_ALLOW_CREDENTIALS);

        client.options().uri("/api/proxy/openai/v1/chat/completions")
                .header(HttpHeaders.ORIGIN, "https://evil.example")
                .header(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD, "POST")
                .exchange().expectStatus().isForbidden()
                .expectHeader().doesNotExist(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN);
    }

    @Test
    void letsABrowserReadAnAnswerOnlyFromItsOwnTenantsOrigins() {
        Key key = issue("acme", ProxyKeyLimits.NONE, List.of());

        client.post().uri("/api/proxy/openai/v1/cors")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + key.secret())
                .header(HttpHeaders.ORIGIN, "https://app.acme.example")
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{}")
                .exchange().expectStatus().isOk()
                .expectHeader().valueEquals(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, "https://app.acme.example")
                .expectHeader().value(HttpHeaders.ACCESS_CONTROL_EXPOSE_HEADERS,
                        exposed -> assertThat(exposed).contains("X-RateLimit-Remaining", "Retry-After"));

        client.post().uri("/api/proxy/openai/v1/cors")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + key.secret())
                .header(HttpHeaders.ORIGIN, "https://globex.example")
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{}")
                .exchange().expectStatus().isForbidden()
                .expectHeader().doesNotExist(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN)
                .expectBody().jsonPath("$.error.code").isEqualTo("origin_not_allowed");

        client.post().uri("/api/proxy/openai/v1/cors")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + key.secret())
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{}")
                .exchange().expectStatus().isOk()
                .expectHeader().doesNotExist(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN);
    }

    /**
     * The provider and seed routes bypass Spring Security's filter chain (SecurityConfiguration); every answer must
     * still carry the headers that chain writes, whichever way it took: a provider's answer passed through, the
     * proxy's own refusals, the seed routes, and the routes the chain still guards (actuator, unknown paths).
     */
    @Test
    void everyAnswerCarriesSpringSecuritysDefaultHeadersWhetherOrNotItsRouteWentThroughTheFilterChain() {
        Key key = issue("acme", ProxyKeyLimits.NONE, List.of());
        Map<String, HttpHeaders> passedThrough = new LinkedHashMap<>();
        passedThrough.put("a proxied answer", chat(key.secret(), "gpt-4o-mini").expectStatus().isOk()
                .returnResult(String.class).getResponseHeaders());
        passedThrough.put("a provider error passed through", client.post().uri("/api/proxy/openai/v1/broken")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + key.secret()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{}").exchange().expectStatus().isEqualTo(500).returnResult(String.class)
                .getResponseHeaders());
        passedThrough.put("an actuator answer", client.get().uri("/actuator/health").exchange().expectStatus().isOk()
                .returnResult(String.class).getResponseHeaders());
        Map<String, HttpHeaders> written = new LinkedHashMap<>();
        written.put("a refused credential", chat("px_unknown", "gpt-4o-mini").expectStatus().isUnauthorized()
                .returnResult(String.class).getResponseHeaders());
        written.put("an unknown provider", client.get().uri("/api/proxy/nosuch/v1/models")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + key.secret()).exchange().expectStatus().isNotFound()
                .returnResult(String.class).getResponseHeaders());
        written.put("seed 003's /health", client.get().uri("/health").exchange().expectStatus().isOk()
                .returnResult(String.class).getResponseHeaders());
        written.put("an unknown route", client.get().uri("/api/nothing-here").exchange().expectStatus().isNotFound()
                .returnResult(String.class).getResponseHeaders());
        written.put("an actuator endpoint not exposed", client.get().uri("/actuator/env").exchange()
                .expectStatus().isNotFound().returnResult(String.class).getResponseHeaders());

        Map<String, HttpHeaders> all = new LinkedHashMap<>(passedThrough);
        all.putAll(written);
        all.forEach((answer, headers) -> {
            assertThat(headers.getFirst("X-Content-Type-Options")).as(answer).isEqualTo("nosniff");
            assertThat(headers.getFirst("X-Frame-Options")).as(answer).isEqualTo("DENY");
            assertThat(headers.getFirst("X-XSS-Protection")).as(answer).isEqualTo("0");
            assertThat(headers.getFirst("Referrer-Policy")).as(answer).isEqualTo("no-referrer");
        });
        // Spring Security's cache headers, unless the answer says otherwise (the proxy's own answers: no-store).
        passedThrough.forEach((answer, headers) -> {
            assertThat(headers.getCacheControl()).as(answer).isEqualTo("no-cache, no-store, max-age=0, must-revalidate");
            assertThat(headers.getPragma()).as(answer).isEqualTo("no-cache");
            assertThat(headers.getFirst(HttpHeaders.EXPIRES)).as(answer).isEqualTo("0");
        });
        written.forEach((answer, headers) -> {
            assertThat(headers.getCacheControl()).as(answer).isEqualTo("no-store");
            assertThat(headers.getPragma()).as(answer).isNull();
        });
    }

    private long failedAuthenticationsLeft() {
        return limiter.status("127.0.0.1").stream().filter(s -> s.name().startsWith("failed authentications"))
                .findFirst().orElseThrow().remaining();
    }

    private WebTestClient.ResponseSpec chat(String secret, String model) {
        return client.post().uri("/api/proxy/openai/v1/chat/completions")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + secret)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .exchange();
    }

    private Key issue(String tenant, ProxyKeyLimits limits, List<String> models) {
        return issue(tenant, "alice", limits, models);
    }

    private Key issue(String tenant, String user, ProxyKeyLimits limits, List<String> models) {
        byte[] random = new byte[24];
        RANDOM.nextBytes(random);
        String secret = "px_" + HexFormat.of().formatHex(random);
        UUID id = UUID.randomUUID();
        ProxyKeyIssued issued = new ProxyKeyIssued(UUID.randomUUID(), 0, Instant.now(), id, tenant, user,
                sha256(secret), secret.substring(secret.length() - 4), List.of(), null, null, null, models, limits, null);
        publish(Topics.ADMIN_PROXY_KEYS, id.toString(), JSON.writerFor(ProxyKeyEvent.class).writeValueAsString(issued));
        await().atMost(PATIENCE).until(() -> directory.issued(id.toString()).isPresent());
        return new Key(id, secret);
    }

    private static synchronized void publish(String topic, String key, String value) {
        if (producer == null) {
            producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer());
        }
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        }
        catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static String sha256(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(value.getBytes(StandardCharsets.UTF_8)));
        }
        catch (java.security.NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static DisposableServer startKeyvault(ServiceCertificate vault, LocalPki pki) throws Exception {
        SslContext tls = SslContextBuilder.forServer(vault.certificate().toFile(), vault.privateKey().toFile())
                .trustManager(pki.caCertificate().toFile()).clientAuth(ClientAuth.REQUIRE).build();
        return HttpServer.create().host("127.0.0.1").port(0).secure(spec -> spec.sslContext(tls))
                .route(routes -> routes
                        .post("/v1/resolve", (request, response) -> request.receive().then(Mono.defer(() -> {
                            int n = RESOLVES.incrementAndGet();
                            return response.header(HttpHeaders.CONTENT_TYPE, "application/json")
                                    .sendString(Mono.just("{\"secretId\":\"" + SECRET + "\",\"provider\":\"openai\","
                                            + "\"ownerType\":\"user\",\"key\":\"sk-upstream-" + n + "\"}")).then();
                        })))
                        .post("/v1/keys/{secretId}/rejected", (request, response) -> request.receive()
                                .then(Mono.defer(() -> {
                                    REJECTIONS.incrementAndGet();
                                    return response.status(204).send();
                                }))))
                .bindNow();
    }

    private static DisposableServer startProvider() {
        return HttpServer.create().host("127.0.0.1").port(0)
                .route(routes -> routes
                        .post("/v1/chat/completions", (request, response) -> request.receive().aggregate().asByteArray()
                                .defaultIfEmpty(new byte[0]).flatMap(body -> {
                                    RECEIVED.set(body);
                                    UPSTREAM_KEYS.add(request.requestHeaders().get(HttpHeaders.AUTHORIZATION));
                                    if (REJECT_NEXT.compareAndSet(true, false)) {
                                        return response.status(401).header(HttpHeaders.CONTENT_TYPE, "application/json")
                                                .sendString(Mono.just("{\"error\":{\"message\":\"bad key\"}}")).then();
                                    }
                                    return response.header(HttpHeaders.CONTENT_TYPE, "application/json")
                                            .sendString(Mono.just("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\","
                                                    + "\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,"
                                                    + "\"completion_tokens\":1,\"total_tokens\":2}}")).then();
                                }))
                        .post("/v1beta/models/{call}", (request, response) -> request.receive().then(Mono.defer(() -> {
                            UPSTREAM_KEYS.add("gemini:" + request.requestHeaders().get("x-goog-api-key"));
                            return response.header(HttpHeaders.CONTENT_TYPE, "application/json")
                                    .sendString(Mono.just("{\"candidates\":[]}")).then();
                        })))
                        .post("/v1/broken", (request, response) -> request.receive().then(response.status(500)
                                .header("x-request-id", "req-123").header(HttpHeaders.RETRY_AFTER, "7")
                                .header(HttpHeaders.CONTENT_TYPE, "application/json")
                                .sendString(Mono.just(BROKEN)).then()))
                        .post("/v1/slow", (request, response) -> request.receive().then(Mono.delay(Duration.ofSeconds(5)))
                                .then(response.sendString(Mono.just("{}")).then()))
                        .post("/v1/cors", (request, response) -> request.receive().then(response
                                .header(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, "*")
                                .header(HttpHeaders.CONTENT_TYPE, "application/json")
                                .sendString(Mono.just("{}")).then())))
                .bindNow();
    }

    private record Key(UUID id, String secret) {
    }
}
