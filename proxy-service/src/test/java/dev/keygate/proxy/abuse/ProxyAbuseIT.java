package dev.keygate.proxy.abuse;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ProviderKeyChanged;
import dev.keygate.contracts.admin.v1.ProxyKeyEvent;
import dev.keygate.contracts.admin.v1.ProxyKeyIssued;
import dev.keygate.contracts.admin.v1.ProxyKeyRevoked;
import dev.keygate.proxy.clientauth.ProxyKeyDirectory;
import dev.keygate.proxy.clientauth.TestCallers;
import dev.keygate.testkit.LocalPki;
import dev.keygate.testkit.ServiceCertificate;
import dev.keygate.testkit.TestKafka;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole proxy on a real port, real Kafka for admin's key events, attacked the way issue 8 lists: traversal and
 * SSRF paths, oversize and slow-loris bodies, forged, expired and wrong-realm tokens, revoked, rotated-out and
 * out-of-scope proxy keys, replayed seed 001 envelopes. Every refusal must carry its documented status as
 * problem+json, echo no credential and no stack trace, and no request may reach any host but the provider's base URL.
 * The report is docs/reliability.md.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "keygate.proxy.budgets.enabled=false",
        "keygate.proxy.response-timeout=5s",
        "keygate.proxy.connect-timeout=1s",
        "keygate.proxy.limits.max-request-body=64KB",
        "keygate.proxy.compat.max-request-size=64KB",
        "keygate.proxy.limits.ip.requests=1000000",
        "keygate.proxy.limits.ip.failed-authentications=1000000",
        "keygate.proxy.limits.max-in-flight-per-key=1000",
        "keygate.proxy.limits.max-in-flight-per-user=1000",
        "keygate.proxy.limits.body-read-timeout=2s",
        "keygate.proxy.limits.max-body-read-time=10s"})
class ProxyAbuseIT {

    static final Duration PATIENCE = Duration.ofSeconds(30);
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final SecureRandom RANDOM = new SecureRandom();
    static final String TENANT = "acme";
    static final String OPENAI_KEY = "sk-abuse-openai-" + hex(12);
    static final String BRAVE_KEY = "brave-abuse-" + hex(12);
    /** acme's organisation key for every provider and tool the proxy knows. */
    static final Map<String, String> ORG_KEYS = Map.of("openai", OPENAI_KEY, "brave", BRAVE_KEY,
            "anthropic", "sk-ant-abuse-" + hex(12), "gemini", "AIza-abuse-" + hex(12), "xai", "xai-abuse-" + hex(12),
            "e2b", "e2b-abuse-" + hex(12), "exa", "exa-abuse-" + hex(12));
    private static final Logger log = LoggerFactory.getLogger(ProxyAbuseIT.class);
    static AbuseServers servers;
    /** Every credential the test created: none may ever appear in an answer. */
    static final Set<String> SECRETS = ConcurrentHashMap.newKeySet();

    @Value("${local.server.port}")
    int port;

    @Autowired
    ProxyKeyDirectory directory;

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) throws Exception {
        LocalPki pki = LocalPki.shared();
        ServiceCertificate proxy = pki.issue("proxy-service");
        servers = new AbuseServers(pki.issue("keyvault-service"), pki);
        ORG_KEYS.forEach((provider, key) -> servers.storedKeys.put(AbuseServers.orgKeySlot(TENANT, provider), key));
        SECRETS.addAll(ORG_KEYS.values());
        registry.add("spring.kafka.bootstrap-servers", TestKafka::bootstrapServers);
        registry.add("spring.ssl.bundle.pem.keyvault-client.keystore.certificate", () -> "file:" + proxy.certificate());
        registry.add("spring.ssl.bundle.pem.keyvault-client.keystore.private-key", () -> "file:" + proxy.privateKey());
        registry.add("spring.ssl.bundle.pem.keyvault-client.truststore.certificate", () -> "file:" + pki.caCertificate());
        registry.add("keygate.proxy.keyvault.url", () -> "https://127.0.0.1:" + servers.keyvault.port());
        registry.add("spring.security.oauth2.resourceserver.jwt.issuer-uri", () -> servers.issuerUri(AbuseServers.REALM));
        registry.add("spring.security.oauth2.resourceserver.jwt.audiences", () -> "keygate-api");
        String spool = Files.createTempDirectory("proxy-abuse-spool").toString();
        registry.add("keygate.proxy.metering.spool.directory", () -> spool);
        for (String provider : List.of("openai", "anthropic", "gemini", "xai")) {
            registry.add("keygate.proxy.providers." + provider + ".base-url", () -> servers.providerUrl().toString());
        }
        for (String tool : List.of("brave", "e2b", "exa")) {
            registry.add("keygate.proxy.tools." + tool + ".base-url", () -> servers.providerUrl().toString());
        }
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    @BeforeEach
    void forgetRequests() {
        servers.providerRequests.clear();
        servers.strayRequests.clear();
    }

    @Test
    void traversalAndSsrfPathsAreRefusedAndReachNoHostButTheProvider() {
        String key = issue(TENANT, "alice", List.of(), null, null).secret();
        String stray = servers.strayHost();
        Map<String, Integer> attempts = new LinkedHashMap<>();
        for (String route : List.of("/api/proxy/openai", "/api/proxy/tools/brave")) {
            attempts.put(route + "/../../admin", 400);
            attempts.put(route + "/v1/../../../etc/passwd", 400);
            attempts.put(route + "/%2e%2e/%2e%2e/admin", 400);
            attempts.put(route + "/%2E%2E/v1/models", 400);
            attempts.put(route + "/%252e%252e/%252e%252e/admin", 400);
            attempts.put(route + "/v1/..%2fadmin", 400);
            attempts.put(route + "/..;/admin", 400);
            attempts.put(route + "//" + stray + "/v1/models", 400);
            attempts.put(route + "/v1//models", 400);
            attempts.put(route + "/%5c..%5cadmin", 400);
            attempts.put(route + "/http://" + stray + "/", 400);
            attempts.put(route + "/http:%2f%2f" + stray + "/", 400);
            attempts.put(route + "/@" + stray + "/v1/models", 400);
            attempts.put(route + "/v1/models%00.json", 400);
        }
        attempts.put("/api/proxy/openai@" + stray + "/v1/models", 404);
        attempts.put("/api/proxy/" + stray + "/v1/models", 404);
        attempts.put("/api/proxy/nosuchprovider/v1/models", 404);
        attempts.put("/api/proxy/tools/nosuchtool/search", 404);
        attempts.put("/proxy/openai/../../api/proxy/openai/v1/models", 400);
        attempts.put("/proxy/openai/%2e%2e/admin", 400);

        for (Map.Entry<String, Integer> attempt : attempts.entrySet()) {
            RawHttp.Answer answer = RawHttp.exchange(port, RawHttp.request("GET", attempt.getKey(),
                    Map.of("Authorization", "Bearer " + key, "x-subscription-token", key), null), PATIENCE);
            assertRefusal(answer, attempt.getValue(), attempt.getKey());
        }
        // Not a URI at all (a raw backslash): Spring's HTTP adapter refuses it before any filter, with a bare 400.
        for (String target : List.of("/api/proxy/openai/\\..\\admin", "/api/proxy/tools/brave/\\..\\admin")) {
            RawHttp.Answer bare = RawHttp.exchange(port, RawHttp.request("GET", target,
                    Map.of("Authorization", "Bearer " + key), null), PATIENCE);
            assertThat(bare.status()).as(target).isEqualTo(400);
            assertThat(bare.body()).as(target).isEmpty();
            assertNoLeak(bare, target);
        }
        // Absolute-form and a foreign Host: the proxy is no forward proxy, and Host does not choose the upstream.
        assertRefusal(RawHttp.exchange(port, RawHttp.request("GET", "http://" + stray + "/v1/models",
                Map.of("Authorization", "Bearer " + key), null), PATIENCE), 404, "absolute-form target");
        RawHttp.Answer spoofed = RawHttp.exchange(port, ("GET /api/proxy/openai/v1/models HTTP/1.1\r\nHost: " + stray
                + "\r\nX-Forwarded-Host: " + stray + "\r\nAuthorization: Bearer " + key
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1), PATIENCE);
        assertThat(spoofed.status()).isEqualTo(200);

        assertThat(servers.strayRequests).as("no request reached the stray host").isEmpty();
        assertThat(servers.providerRequests).as("only the control call reached the provider")
                .singleElement().satisfies(received -> {
                    assertThat(received.uri()).isEqualTo("/v1/models");
                    assertThat(received.headers().get("authorization")).isEqualTo("Bearer " + OPENAI_KEY);
                });
    }

    @Test
    void oversizeBodiesAre413AndNeverReachTheProvider() {
        String key = issue(TENANT, "alice", List.of(), null, null).secret();
        byte[] big = ("{\"model\":\"gpt-4o-mini\",\"input\":\"" + "x".repeat(70 * 1024) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        assertRefusal(RawHttp.exchange(port, RawHttp.request("POST", "/api/proxy/openai/v1/chat/completions",
                Map.of("Authorization", "Bearer " + key, "Content-Type", "application/json"), big), PATIENCE), 413,
                "70 KB body");
        // A declared length far beyond the limit is refused before the body is read.
        assertRefusal(RawHttp.exchange(port, ("POST /api/proxy/openai/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: Bearer " + key + "\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n"
                + "Connection: close\r\n\r\n{\"model\":").getBytes(StandardCharsets.ISO_8859_1), PATIENCE), 413,
                "10 GB declared");
        StringBuilder chunked = new StringBuilder("POST /api/proxy/openai/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: Bearer " + key + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                + "Connection: close\r\n\r\n");
        for (int i = 0; i < 70; i++) {
            chunked.append("400\r\n").append("y".repeat(1024)).append("\r\n");
        }
        chunked.append("0\r\n\r\n");
        assertRefusal(RawHttp.exchange(port, chunked.toString().getBytes(StandardCharsets.ISO_8859_1), PATIENCE), 413,
                "70 KB chunked");
        byte[] envelope = ("{\"proxy_key\":\"" + key + "\",\"provider\":\"openai\",\"body\":{\"input\":\""
                + "z".repeat(70 * 1024) + "\"}}").getBytes(StandardCharsets.UTF_8);
        assertRefusal(RawHttp.exchange(port, RawHttp.request("POST", "/proxy/openai/v1/chat/completions",
                Map.of("Content-Type", "application/json"), envelope), PATIENCE), 413, "70 KB envelope");

        assertThat(servers.providerRequests).isEmpty();
    }

    @Test
    void aSlowLorisBodyIsCutOffWithinItsBoundWhileOtherCallersAreServed() throws Exception {
        String key = issue(TENANT, "alice", List.of(), null, null).secret();
        List<Socket> loris = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                Socket socket = new Socket();
                socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                socket.setSoTimeout((int) PATIENCE.toMillis());
                OutputStream out = socket.getOutputStream();
                out.write(("POST /api/proxy/openai/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Authorization: Bearer " + key + "\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 1000\r\n\r\n{\"model\":\"gpt-4o-mini\",").getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                loris.add(socket);
            }
            long started = System.nanoTime();
            RawHttp.Answer other = RawHttp.exchange(port, RawHttp.request("GET", "/api/proxy/openai/v1/models",
                    Map.of("Authorization", "Bearer " + issue(TENANT, "bob", List.of(), null, null).secret()), null),
                    PATIENCE);
            assertThat(other.status()).as("another caller is served while 20 bodies trickle").isEqualTo(200);

            for (Socket socket : loris) {
                RawHttp.Answer cut = RawHttp.read(socket.getInputStream(), started, PATIENCE);
                assertThat(cut.hung()).as("the stalled body is cut off, not waited for").isFalse();
                assertThat(cut.millis()).as("within the 2 s body-read timeout and some slack").isLessThan(10_000);
                assertRefusal(cut, 408, "stalled body");
            }
        }
        finally {
            for (Socket socket : loris) {
                socket.close();
            }
        }
        assertThat(servers.providerRequests.stream().filter(r -> r.method().equals("POST")))
                .as("no half body was forwarded as if whole").isEmpty();
        RawHttp.Answer after = RawHttp.exchange(port, RawHttp.request("GET", "/actuator/health", Map.of(), null),
                PATIENCE);
        assertThat(after.status()).isEqualTo(200);
    }

    @Test
    void forgedExpiredAndForeignTokensAre401() {
        servers.storedKeys.put(AbuseServers.userKeySlot(TENANT, "carol", "openai"), "sk-abuse-carol-" + hex(8));
        SECRETS.add(servers.storedKeys.get(AbuseServers.userKeySlot(TENANT, "carol", "openai")));
        Instant soon = Instant.now().plusSeconds(600);
        String valid = servers.token(AbuseServers.REALM, false, TENANT, "carol", "keygate-api", soon);
        RawHttp.Answer accepted = call("/api/proxy/openai/v1/models", valid);
        assertThat(accepted.status()).as("a valid token of the realm is accepted: %s", accepted.body()).isEqualTo(200);

        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("forged signature", servers.token(AbuseServers.REALM, true, TENANT, "carol", "keygate-api", soon));
        refused.put("expired", servers.token(AbuseServers.REALM, false, TENANT, "carol", "keygate-api",
                Instant.now().minusSeconds(300)));
        refused.put("another realm", servers.token(AbuseServers.OTHER_REALM, false, TENANT, "carol", "keygate-api",
                soon));
        refused.put("another audience", servers.token(AbuseServers.REALM, false, TENANT, "carol", "account", soon));
        String[] parts = valid.split("\\.");
        refused.put("alg none", Base64.getUrlEncoder().withoutPadding().encodeToString(
                "{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "." + parts[1] + ".");
        refused.put("payload swapped", parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                        .replace("\"" + TENANT + "\"", "\"globex\"").getBytes(StandardCharsets.UTF_8)) + "." + parts[2]);
        refused.put("not a token", "eyJhbGciOiJSUzI1NiJ9.garbage.garbage");
        refused.values().forEach(SECRETS::add);
        SECRETS.add(valid);
        servers.providerRequests.clear();
        for (Map.Entry<String, String> token : refused.entrySet()) {
            assertRefusal(call("/api/proxy/openai/v1/models", token.getValue()), 401, token.getKey());
        }
        assertThat(servers.providerRequests).isEmpty();
    }

    @Test
    void revokedRotatedOutAndOutOfScopeProxyKeysAreRefused() {
        Key revoked = issue(TENANT, "alice", List.of(), null, null);
        assertThat(call("/api/proxy/openai/v1/models", revoked.secret()).status()).isEqualTo(200);
        publish(revoked.id().toString(), JSON.writerFor(ProxyKeyEvent.class).writeValueAsString(new ProxyKeyRevoked(
                UUID.randomUUID(), 0, Instant.now(), revoked.id(), TENANT, TestCallers.sha256(revoked.secret()))));
        await().atMost(PATIENCE).until(() -> call("/api/proxy/openai/v1/models", revoked.secret()).status() == 401);
        assertRefusal(call("/api/proxy/openai/v1/models", revoked.secret()), 401, "revoked");

        // Rotation as admin-service does it: a successor, and the old key re-issued with the grace period as its end.
        Key old = issue(TENANT, "alice", List.of(), null, null);
        Key successor = issue(TENANT, "alice", List.of(), null, null);
        Instant graceEnds = Instant.now().plusSeconds(3);
        reissue(old, TENANT, "alice", List.of(), graceEnds);
        assertThat(call("/api/proxy/openai/v1/models", old.secret()).status()).as("within the grace period")
                .isEqualTo(200);
        await().atMost(PATIENCE).until(() -> Instant.now().isAfter(graceEnds.plusMillis(100)));
        assertRefusal(call("/api/proxy/openai/v1/models", old.secret()), 401, "rotated out");
        assertThat(call("/api/proxy/openai/v1/models", successor.secret()).status()).isEqualTo(200);

        Key anthropicOnly = issue("globex", "gina", List.of("anthropic"), null, null);
        assertRefusal(call("/api/proxy/openai/v1/models", anthropicOnly.secret()), 403, "provider outside the scope");
        assertRefusal(call("/api/proxy/tools/brave/res/v1/web/search", anthropicOnly.secret()), 403, "tool outside");
        Key globex = issue("globex", "gina", List.of(), null, null);
        assertRefusal(call("/api/proxy/openai/v1/models", globex.secret()), 400,
                "another tenant's key finds no key of acme");
        assertRefusal(call("/api/proxy/tools/brave/res/v1/web/search", globex.secret()), 400,
                "nor acme's tool key");
        assertRefusal(call("/api/proxy/openai/v1/models", "px_" + hex(24)), 401, "unknown px key");

        assertThat(servers.providerRequests).as("only the accepted calls reached the provider, all with acme's key")
                .hasSize(3).allSatisfy(received -> assertThat(received.headers().get("authorization"))
                        .isEqualTo("Bearer " + OPENAI_KEY));
    }

    @Test
    void aReplayedEnvelopeIsAnotherMeteredCallAndAWrongHardwareIdIsRefused() {
        String hardware = "hw-abuse-" + hex(4);
        Key device = issue(TENANT, "dora", List.of(), TestCallers.sha256(hardware), null);
        String envelope = "{\"proxy_key\":\"" + device.secret() + "\",\"provider\":\"openai\",\"hardware_id\":\""
                + hardware + "\",\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"hi\"}]}}";
        for (int i = 0; i < 2; i++) {
            RawHttp.Answer answer = RawHttp.exchange(port, RawHttp.request("POST", "/proxy/openai/v1/chat/completions",
                    Map.of("Content-Type", "application/json"), envelope.getBytes(StandardCharsets.UTF_8)), PATIENCE);
            assertThat(answer.status()).as("replay %d: %s", i, answer.body()).isEqualTo(200);
            assertNoLeak(answer, "replayed envelope");
        }
        assertThat(servers.providerRequests).hasSize(2);

        for (String wrong : List.of("\"hw-other\"", "\"" + hardware.toUpperCase() + "\"", "\"\"", "null")) {
            String forged = envelope.replace("\"" + hardware + "\"", wrong);
            assertRefusal(RawHttp.exchange(port, RawHttp.request("POST", "/proxy/openai/v1/chat/completions",
                    Map.of("Content-Type", "application/json"), forged.getBytes(StandardCharsets.UTF_8)), PATIENCE),
                    403, "hardware_id " + wrong);
        }
        assertThat(servers.providerRequests).as("no call with a wrong hardware id was forwarded").hasSize(2);
    }

    @Test
    void boundedFuzzingOfRoutesAndHeadersNeitherCrashesNorHangsNorLeaks() throws Exception {
        long seed = Long.getLong("keygate.fuzz.seed", 20261203L);
        int count = Integer.getInteger("keygate.fuzz.requests", 2000);
        Duration budget = Duration.ofSeconds(Long.getLong("keygate.fuzz.seconds", 60));
        Key valid = issue(TENANT, "fuzzer", List.of(), null, null);
        Key revoked = issue(TENANT, "fuzzer", List.of(), null, null);
        publish(revoked.id().toString(), JSON.writerFor(ProxyKeyEvent.class).writeValueAsString(new ProxyKeyRevoked(
                UUID.randomUUID(), 0, Instant.now(), revoked.id(), TENANT, TestCallers.sha256(revoked.secret()))));
        await().atMost(PATIENCE).until(() -> directory.issued(revoked.id().toString()).isEmpty());
        Instant hour = Instant.now().plusSeconds(3600);
        String token = servers.token(AbuseServers.REALM, false, TENANT, "fuzzer", "keygate-api", hour);
        String forged = servers.token(AbuseServers.REALM, true, TENANT, "fuzzer", "keygate-api", hour);
        SECRETS.add(token);
        SECRETS.add(forged);
        List<ProxyFuzzer.Input> inputs = new ProxyFuzzer(seed, new ProxyFuzzer.Material(valid.secret(),
                revoked.secret(), token, forged, servers.strayHost())).generate(count);
        log.info("Fuzzing the proxy with seed {} (-Dkeygate.fuzz.seed={} replays it): {} requests, at most {}", seed,
                seed, count, budget);

        Map<String, AtomicInteger> tried = new TreeMap<>();
        ProxyFuzzer.CATEGORIES.forEach(category -> tried.put(category, new AtomicInteger()));
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        long started = System.nanoTime();
        long deadline = started + budget.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        for (ProxyFuzzer.Input input : inputs) {
            pool.submit(() -> {
                if (System.nanoTime() > deadline) {
                    return;
                }
                RawHttp.Answer answer = RawHttp.exchange(port, input.bytes(), Duration.ofSeconds(10));
                tried.get(input.category()).incrementAndGet();
                statuses.computeIfAbsent(answer.status(), any -> new AtomicInteger())
                        .incrementAndGet();
                String problem = fuzzVerdict(answer);
                if (problem != null) {
                    failures.add(problem + " (" + answer.status() + " " + answer.body().substring(0,
                            Math.min(200, answer.body().length())) + ") for " + input.describe());
                }
            });
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(budget.toSeconds() + 60, TimeUnit.SECONDS)).isTrue();
        int total = tried.values().stream().mapToInt(AtomicInteger::get).sum();
        log.info("Fuzzing seed {}: {} requests in {} ms; per category {}; answers by status (-1 = closed unanswered) {}",
                seed, total, (System.nanoTime() - started) / 1_000_000, tried, new TreeMap<>(statuses));

        assertThat(failures).as("fuzzing seed %d", seed).isEmpty();
        assertThat(total).as("most inputs ran within the time budget").isGreaterThanOrEqualTo(count / 4);
        assertThat(RawHttp.exchange(port, RawHttp.request("GET", "/actuator/health", Map.of(), null), PATIENCE)
                .status()).as("healthy afterwards").isEqualTo(200);
        assertThat(call("/api/proxy/openai/v1/models", valid.secret()).status()).as("still serving").isEqualTo(200);
        assertThat(servers.strayRequests).as("no fuzzed request reached the stray host").isEmpty();
        assertOnlyOrganisationKeysReachedTheProvider();
    }

    /** Why a fuzzed answer is wrong, or {@code null}: hung, a 5xx of its own, a leak, an error that is no problem. */
    private static String fuzzVerdict(RawHttp.Answer answer) {
        if (answer.hung()) {
            return "hung";
        }
        if (answer.status() >= 500 && !Set.of(502, 503, 504).contains(answer.status())) {
            return "server error";
        }
        try {
            assertNoLeak(answer, "fuzzed");
        }
        catch (AssertionError leak) {
            return "leak: " + leak.getMessage().lines().findFirst().orElse("");
        }
        if (answer.status() >= 400 && !answer.body().isEmpty()
                && !answer.contentType().startsWith("application/problem+json")) {
            return "an error that is not problem+json";
        }
        return null;
    }

    /** Every request the provider got carries acme's key in the provider's header, and no caller credential. */
    private void assertOnlyOrganisationKeysReachedTheProvider() {
        Set<String> allowed = new HashSet<>(ORG_KEYS.values());
        ORG_KEYS.values().forEach(key -> allowed.add("Bearer " + key));
        assertThat(servers.providerRequests).isNotEmpty().allSatisfy(received -> {
            for (String header : List.of("authorization", "x-api-key", "x-goog-api-key", "x-subscription-token")) {
                String value = received.headers().get(header);
                if (value != null) {
                    assertThat(allowed).as("%s of %s", header, received.uri()).contains(value);
                }
            }
            String all = received.uri() + received.headers();
            SECRETS.stream().filter(secret -> !ORG_KEYS.containsValue(secret)).forEach(secret ->
                    assertThat(all).as("no caller credential reaches the provider").doesNotContain(secret));
        });
    }

    /**
     * The isolation property: over a seeded world of tenants, users, provider keys and callers, with keys stored,
     * replaced and deleted between rounds of concurrent calls, every call the provider receives carries exactly the
     * key the model says its caller may use, and a call that may use none is refused without being forwarded.
     */
    @Test
    void noForwardedCallEverCarriesAKeyItsCallerMayNotUse() throws Exception {
        long seed = Long.getLong("keygate.isolation.seed", 8L);
        int rounds = Integer.getInteger("keygate.isolation.rounds", 12);
        int perRound = 50;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        IsolationModel model = new IsolationModel(seed);
        servers.storedKeys.putAll(model.keys);
        SECRETS.addAll(model.keys.values());
        Map<IsolationModel.Caller, String> credentials = new LinkedHashMap<>();
        List<UUID> keyIds = new ArrayList<>();
        for (IsolationModel.Caller caller : model.callers) {
            if (caller.proxyKey() == null) {
                String token = servers.token(AbuseServers.REALM, false, caller.tenant(), caller.user(), "keygate-api",
                        Instant.now().plusSeconds(3600));
                SECRETS.add(token);
                credentials.put(caller, token);
            }
            else {
                SECRETS.add(caller.proxyKey());
                Key key = new Key(UUID.randomUUID(), caller.proxyKey());
                publishIssued(key, caller.tenant(), caller.user(), List.copyOf(caller.scope()), null, null);
                keyIds.add(key.id());
                credentials.put(caller, caller.proxyKey());
            }
        }
        await().atMost(PATIENCE).until(() -> keyIds.stream().allMatch(id -> directory.issued(id.toString()).isPresent()));
        log.info("Isolation property with seed {} (-Dkeygate.isolation.seed={} replays it): {} tenants, {} callers, "
                + "{} stored keys", seed, seed, model.tenants.size(), model.callers.size(), model.keys.size());

        AtomicInteger sequence = new AtomicInteger();
        Queue<String> breaches = new ConcurrentLinkedQueue<>();
        int calls = 0;
        int forwarded = 0;
        int mutations = 0;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < rounds && System.nanoTime() < deadline; round++) {
                List<Future<Boolean>> results = new ArrayList<>();
                for (int i = 0; i < perRound; i++) {
                    IsolationModel.Caller caller = model.callers.get(model.random.nextInt(model.callers.size()));
                    String provider = IsolationModel.PROVIDERS.get(model.random.nextInt(IsolationModel.PROVIDERS.size()));
                    boolean ownHeader = model.random.nextBoolean();
                    String expected = model.expectedKey(caller, provider);
                    results.add(pool.submit(() -> {
                        String verdict = isolationVerdict(caller, credentials.get(caller), provider, ownHeader,
                                expected, sequence.incrementAndGet(), model);
                        if (verdict != null && !verdict.equals("forwarded")) {
                            breaches.add(verdict);
                        }
                        return "forwarded".equals(verdict);
                    }));
                }
                for (Future<Boolean> result : results) {
                    calls++;
                    forwarded += result.get() ? 1 : 0;
                }
                assertThat(breaches).as("isolation seed %d, round %d", seed, round).isEmpty();
                for (int m = 1 + model.random.nextInt(3); m > 0; m--) {
                    mutations++;
                    String[] change = model.mutate();
                    String slot = change[1] == null ? AbuseServers.orgKeySlot(change[0], change[2])
                            : AbuseServers.userKeySlot(change[0], change[1], change[2]);
                    if (model.keys.containsKey(slot)) {
                        SECRETS.add(model.keys.get(slot));
                        servers.storedKeys.put(slot, model.keys.get(slot));
                    }
                    else {
                        servers.storedKeys.remove(slot);
                    }
                    ProviderKeyChanged changed = new ProviderKeyChanged(UUID.randomUUID(), ProviderKeyChanged.TYPE, 0,
                            Instant.now(), change[0], change[1], change[2], change[3]);
                    publish(Topics.ADMIN_PROVIDER_KEYS, ProviderKeyChanged.key(change[0], change[1], change[2]),
                            JSON.writeValueAsString(changed));
                    awaitConverged(model, credentials, change[0], change[1], change[2], sequence);
                }
            }
        }
        finally {
            pool.shutdownNow();
        }
        log.info("Isolation property with seed {}: {} calls ({} forwarded, {} refused), {} key changes, {} breaches",
                seed, calls, forwarded, calls - forwarded, mutations, breaches.size());
        assertThat(breaches).as("isolation seed %d", seed).isEmpty();
        assertThat(calls).isGreaterThanOrEqualTo(perRound * 2);
        assertThat(forwarded).as("the property was exercised on forwarded calls").isPositive();
        assertThat(calls - forwarded).as("and on refused ones").isPositive();
    }

    /**
     * Makes one call and checks it against the model: {@code "forwarded"} when the provider got exactly the expected
     * key, {@code null} when it was refused as the model says, else a description of the breach.
     */
    private String isolationVerdict(IsolationModel.Caller caller, String credential, String provider,
                                    boolean ownHeader, String expected, int n, IsolationModel model) {
        String path = (provider.equals("brave") ? "/api/proxy/tools/brave" : "/api/proxy/" + provider) + "/v1/iso/" + n;
        String header = ownHeader && caller.proxyKey() != null ? credentialHeader(provider) : "authorization";
        Map<String, String> headers = Map.of(header, header.equals("authorization") ? "Bearer " + credential : credential);
        RawHttp.Answer answer = RawHttp.exchange(port, RawHttp.request("GET", path, headers, null), PATIENCE);
        List<AbuseServers.Received> received = servers.providerRequests.stream()
                .filter(request -> request.uri().endsWith("/iso/" + n)).toList();
        int status = expected != null ? 200 : caller.mayUse(provider) ? 400 : 403;
        if (answer.status() != status || received.size() != (expected != null ? 1 : 0)) {
            return caller + " calling " + provider + ": expected " + status + " and " + (expected == null ? "nothing"
                    : "one call") + " forwarded, got " + answer.status() + " and " + received.size() + " forwarded"
                    + received.stream().map(request -> " carrying " + model.ownerOf(keyIn(request, provider))).toList();
        }
        if (expected == null) {
            return null;
        }
        String sent = keyIn(received.get(0), provider);
        if (!expected.equals(sent)) {
            return caller + " calling " + provider + " was forwarded with the key of " + model.ownerOf(sent)
                    + " instead of " + model.ownerOf(expected);
        }
        return "forwarded";
    }

    private void awaitConverged(IsolationModel model, Map<IsolationModel.Caller, String> credentials, String tenant,
                                String user, String provider, AtomicInteger sequence) {
        model.callers.stream()
                .filter(caller -> caller.proxyKey() == null && caller.tenant().equals(tenant)
                        && (user == null || caller.user().equals(user)))
                .forEach(caller -> await().atMost(PATIENCE).untilAsserted(() -> assertThat(isolationVerdict(caller,
                        credentials.get(caller), provider, false, model.expectedKey(caller, provider),
                        sequence.incrementAndGet(), model)).as("after a key change").isIn(null, "forwarded")));
    }

    private static String credentialHeader(String provider) {
        return switch (provider) {
            case "anthropic" -> "x-api-key";
            case "gemini" -> "x-goog-api-key";
            case "brave" -> "x-subscription-token";
            default -> "authorization";
        };
    }

    /** The provider key a forwarded request carries in the provider's own header. */
    private static String keyIn(AbuseServers.Received request, String provider) {
        String value = request.headers().get(credentialHeader(provider));
        return value != null && value.startsWith("Bearer ") ? value.substring(7) : value;
    }

    // --- helpers shared with the fuzzing and isolation tests -----------------------------------------------------

    RawHttp.Answer call(String path, String credential) {
        return RawHttp.exchange(port, RawHttp.request("GET", path, Map.of("Authorization", "Bearer " + credential),
                null), PATIENCE);
    }

    static void assertRefusal(RawHttp.Answer answer, int status, String what) {
        assertThat(answer.hung()).as("%s: answered in time", what).isFalse();
        assertThat(answer.status()).as("%s: status (%s)", what, answer.body()).isEqualTo(status);
        assertThat(answer.contentType()).as("%s: content type", what).startsWith("application/problem+json");
        JsonNode body = JSON.readTree(answer.body());
        assertThat(body.path("status").asInt()).as("%s: problem status", what).isEqualTo(status);
        assertThat(body.path("detail").asString()).as("%s: the problem names the fix", what).isNotBlank();
        assertNoLeak(answer, what);
    }

    static void assertNoLeak(RawHttp.Answer answer, String what) {
        for (String secret : SECRETS) {
            assertThat(answer.raw()).as("%s: no credential echoed", what).doesNotContain(secret);
        }
        assertThat(answer.raw()).as("%s: no stack trace", what)
                .doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("at dev.keygate")
                .doesNotContain("at org.springframework").doesNotContain("at reactor.");
    }

    Key issue(String tenant, String user, List<String> providers, String hardwareIdHash, Instant expiresAt) {
        String secret = "px_" + hex(24);
        SECRETS.add(secret);
        Key key = new Key(UUID.randomUUID(), secret);
        publishIssued(key, tenant, user, providers, hardwareIdHash, expiresAt);
        await().atMost(PATIENCE).until(() -> directory.issued(key.id().toString()).isPresent());
        return key;
    }

    void reissue(Key key, String tenant, String user, List<String> providers, Instant expiresAt) {
        publishIssued(key, tenant, user, providers, null, expiresAt);
        await().atMost(PATIENCE).until(() -> directory.issued(key.id().toString())
                .map(issued -> expiresAt.equals(issued.expiresAt())).orElse(false));
    }

    private static void publishIssued(Key key, String tenant, String user, List<String> providers,
                                      String hardwareIdHash, Instant expiresAt) {
        ProxyKeyIssued issued = new ProxyKeyIssued(UUID.randomUUID(), 0, Instant.now(), key.id(), tenant, user,
                TestCallers.sha256(key.secret()), key.secret().substring(key.secret().length() - 4), providers,
                expiresAt, hardwareIdHash == null ? null : UUID.randomUUID(), hardwareIdHash, null, null, null);
        publish(key.id().toString(), JSON.writerFor(ProxyKeyEvent.class).writeValueAsString(issued));
    }

    static void publish(String key, String value) {
        publish(Topics.ADMIN_PROXY_KEYS, key, value);
    }

    static void publish(String topic, String key, String value) {
        TestKafka.publish(topic, key, value);
    }

    static String hex(int bytes) {
        byte[] random = new byte[bytes];
        RANDOM.nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    record Key(UUID id, String secret) {
    }
}
