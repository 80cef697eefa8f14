package dev.keygate.proxy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ProxyKeyEvent;
import dev.keygate.contracts.admin.v1.ProxyKeyIssued;
import dev.keygate.contracts.keyvault.v1.OwnerType;
import dev.keygate.contracts.keyvault.v1.ResolvedKey;
import dev.keygate.contracts.usage.v1.UsageRecorded;
import dev.keygate.proxy.keylease.KeyvaultClient;
import dev.keygate.testkit.FakeLlmProvider;
import dev.keygate.testkit.LocalPki;
import dev.keygate.testkit.ServiceCertificate;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.when;

/**
 * The proxy as a whole (its own Spring context, real Kafka, the fake provider) for the two promises usage metering
 * makes under trouble: a client that leaves mid-stream cancels the upstream call and is still counted once, and a
 * Kafka outage during traffic loses no usage event. Keyvault is replaced by a stub that hands out a fixed key: key
 * leasing is not what is tested here, and the end-to-end tests in deploy/local cover it against the real vault.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ProxyUsageIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final FakeLlmProvider PROVIDER = FakeLlmProvider.start();
    private static final StandaloneKafka KAFKA;
    private static final Path SPOOL;

    static {
        try {
            Path work = Files.createTempDirectory("proxy-usage-it");
            SPOOL = work.resolve("spool");
            KAFKA = new StandaloneKafka(work.resolve("kafka"), freePort(), freePort());
            KAFKA.start();
        }
        catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    @LocalServerPort
    int port;

    @Autowired
    KafkaTemplate<String, String> kafka;

    @Autowired
    MeterRegistry meters;

    @MockitoBean
    KeyvaultClient keyvault;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @DynamicPropertySource
    static void wiring(DynamicPropertyRegistry registry) {
        ServiceCertificate certificate = LocalPki.shared().issue("proxy-service");
        registry.add("spring.kafka.bootstrap-servers", KAFKA::bootstrapServers);
        // Notice an outage within seconds rather than the production 30 s.
        registry.add("spring.kafka.producer.properties.delivery.timeout.ms", () -> "8000");
        registry.add("spring.kafka.producer.properties.request.timeout.ms", () -> "3000");
        registry.add("keygate.proxy.providers.openai.base-url", () -> PROVIDER.baseUrl().toString());
        registry.add("keygate.proxy.metering.spool.directory", SPOOL::toString);
        registry.add("keygate.proxy.metering.spool.max-retry-backoff", () -> "1s");
        registry.add("spring.security.oauth2.resourceserver.jwt.issuer-uri", () -> "http://127.0.0.1:1/realms/none");
        registry.add("spring.ssl.bundle.pem.keyvault-client.keystore.certificate",
                () -> "file:" + certificate.certificate().toAbsolutePath());
        registry.add("spring.ssl.bundle.pem.keyvault-client.keystore.private-key",
                () -> "file:" + certificate.privateKey().toAbsolutePath());
        registry.add("spring.ssl.bundle.pem.keyvault-client.truststore.certificate",
                () -> "file:" + certificate.caCertificate().toAbsolutePath());
    }

    @AfterAll
    static void stop() {
        KAFKA.close();
        PROVIDER.close();
    }

    @BeforeEach
    void stubKeyvault() {
        PROVIDER.reset();
        when(keyvault.resolve(any(), eq("openai"))).thenReturn(Mono.just(
                new ResolvedKey(UUID.randomUUID(), "openai", OwnerType.USER, "sk-fake-upstream-0123456789")));
    }

    @Test
    void clientLeavingMidStreamCancelsTheUpstreamCallAndIsCountedOnce() throws Exception {
        ProxyKey key = issueProxyKey();
        PROVIDER.setChunkDelay(Duration.ofMillis(250));
        int abandonedBefore = PROVIDER.abandonedStreams();
        String body = """
                {"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"one two three four five six seven eight nine ten eleven twelve"}]}""";

        try (Socket socket = new Socket("127.0.0.1", port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/proxy/openai/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Bearer " + key.secret() + "\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            String status = in.readLine();
            assertThat(status).startsWith("HTTP/1.1 200");
            String line;
            do {
                line = in.readLine();
            } while (line != null && !line.startsWith("data:"));
            assertThat(line).as("the first event came through").isNotNull();
        }

        await().untilAsserted(() -> assertThat(PROVIDER.abandonedStreams())
                .as("the proxy closed its upstream call when its client left").isEqualTo(abandonedBefore + 1));
        List<UsageRecorded> recorded = usageOf(key, 1);
        assertThat(recorded).hasSize(1);
        assertThat(recorded.get(0).streamed()).isTrue();
        assertThat(recorded.get(0).status()).isEqualTo(200);
        assertThat(recorded.get(0).operation()).isEqualTo("chat.completions");
    }

    @Test
    void noUsageEventIsLostWhileKafkaIsDownDuringTraffic() throws Exception {
        ProxyKey key = issueProxyKey();
        double spooledBefore = meters.counter("keygate.proxy.usage.spool.spooled").count();
        for (int i = 0; i < 10; i++) {
            assertThat(call(key, i % 2 == 0)).isEqualTo(200);
        }

        KAFKA.stop();
        for (int i = 0; i < 30; i++) {
            assertThat(call(key, i % 2 == 0)).as("calls go on while Kafka is down").isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
                meters.counter("keygate.proxy.usage.spool.spooled").count() - spooledBefore)
                .as("events of calls made during the outage wait on disk").isGreaterThanOrEqualTo(30));
        KAFKA.start();

        List<UsageRecorded> recorded = usageOf(key, 40);
        assertThat(recorded).hasSize(40);
        assertThat(recorded.stream().map(UsageRecorded::eventId).distinct()).hasSize(40);
        assertThat(recorded.stream().filter(UsageRecorded::streamed)).hasSize(20);
        assertThat(recorded).allMatch(event -> event.usage().outputTokens() > 0);
    }

    @Test
    void forwardsTheCallersTraceToTheProviderAndRecordsItsTraceIdWhetherTheCallerSampledOrNot() throws Exception {
        ProxyKey key = issueProxyKey();
        List<String> traceIds = new ArrayList<>();
        for (String flags : List.of("01", "00")) {
            String traceId = randomHex(16);
            String callerSpan = randomHex(8);
            traceIds.add(traceId);
            PROVIDER.reset();
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/api/proxy/openai/v1/chat/completions"))
                    .header("Authorization", "Bearer " + key.secret()).header("Content-Type", "application/json")
                    .header("traceparent", "00-" + traceId + "-" + callerSpan + "-" + flags)
                    .POST(HttpRequest.BodyPublishers.ofString("""
                            {"model":"gpt-4o-mini","messages":[{"role":"user","content":"Trace this call"}]}"""))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);

            List<String> forwarded = PROVIDER.lastRequest().headers().get("traceparent");
            assertThat(forwarded).as("one traceparent reaches the provider (flags %s)", flags).hasSize(1);
            String[] parts = forwarded.get(0).split("-");
            assertThat(parts[1]).as("the caller's trace continues upstream").isEqualTo(traceId);
            assertThat(parts[2]).as("the provider's parent is the proxy's span, not the caller's").isNotEqualTo(callerSpan);
            assertThat(parts[3]).as("the caller's sampling decision is kept").isEqualTo(flags);
        }
        List<UsageRecorded> recorded = usageOf(key, 2);
        assertThat(recorded).extracting(UsageRecorded::traceId).containsExactlyElementsOf(traceIds);
        assertThat(recorded).allSatisfy(event -> assertThat(traceparents.get(event.eventId()))
                .as("the usage record's traceparent header continues the call's trace, so usage-service does")
                .startsWith("00-" + event.traceId() + "-"));

        String refusedTrace = randomHex(16);
        HttpResponse<String> refused = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/api/proxy/openai/v1/chat/completions"))
                .header("Authorization", "Bearer px_unknown" + randomHex(8)).header("Content-Type", "application/json")
                .header("traceparent", "00-" + refusedTrace + "-" + randomHex(8) + "-00")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(refused.body()).path("traceId").asString()).as("the refusal names the caller's trace")
                .isEqualTo(refusedTrace);
    }

    @Test
    void aDeviceKeysCallsCarryItsLicenseTierThroughKeygatesRouteAndSeed001sEnvelope() throws Exception {
        String hardwareId = "hw-" + UUID.randomUUID();
        ProxyKey device = issueProxyKey(UUID.randomUUID(), hardwareId, "pro");
        ProxyKey person = issueProxyKey();

        assertThat(call(device, true)).isEqualTo(200);
        String envelope = """
                {"proxy_key":"%s","hardware_id":"%s",
                 "body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Tier this call"}]}}"""
                .formatted(device.secret(), hardwareId);
        HttpResponse<String> enveloped = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/proxy/openai/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(envelope)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(enveloped.statusCode()).as(enveloped.body()).isEqualTo(200);
        assertThat(call(person, false)).isEqualTo(200);

        List<UsageRecorded> deviceCalls = usageOf(device, 2);
        assertThat(deviceCalls).hasSize(2).allSatisfy(event -> {
            assertThat(event.tier()).isEqualTo("pro");
            assertThat(event.userId()).isEqualTo(device.userId());
            assertThat(event.usage().outputTokens()).isPositive();
        });
        assertThat(deviceCalls).extracting(UsageRecorded::streamed).containsExactlyInAnyOrder(true, false);
        assertThat(usageOf(person, 1)).singleElement().satisfies(event ->
                assertThat(event.tier()).as("a key a person created belongs to no tier").isNull());
    }

    @Test
    void leavesOutSpringSecuritysObservationsButKeepsTheHttpAndCallMeters() throws Exception {
        ProxyKey key = issueProxyKey();
        assertThat(call(key, false)).isEqualTo(200);

        HttpResponse<String> scrape = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/actuator/prometheus")).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.body()).contains("http_server_requests_seconds_count", "keygate_proxy_requests_seconds_count")
                .as("management.observations.enable.spring.security is false unless KEYGATE_PROXY_OBSERVE_SECURITY=true")
                .doesNotContain("spring_security_");
    }

    private static String randomHex(int bytes) {
        byte[] random = new byte[bytes];
        new java.security.SecureRandom().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    private int call(ProxyKey key, boolean stream) throws Exception {
        String body = """
                {"model":"gpt-4o-mini",%s"messages":[{"role":"user","content":"Count this call"}]}"""
                .formatted(stream ? "\"stream\":true,\"stream_options\":{\"include_usage\":true}," : "");
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/api/proxy/openai/v1/chat/completions"))
                .header("Authorization", "Bearer " + key.secret()).header("Content-Type", "application/json");
        if (key.hardwareId() != null) {
            request.header("X-Hardware-Id", key.hardwareId());
        }
        HttpResponse<String> response = client.send(request.POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        return response.statusCode();
    }

    /** Issues a proxy key as admin-service's outbox would, and waits until the proxy accepts it. */
    private ProxyKey issueProxyKey() throws Exception {
        return issueProxyKey(null, null, null);
    }

    /**
     * Issues a key as admin-service's outbox would and waits until the proxy accepts it: with a license, the key a
     * device activation on {@code hardwareId} issues for a license of {@code tier}; without, a key a person created.
     */
    private ProxyKey issueProxyKey(UUID licenseId, String hardwareId, String tier) throws Exception {
        String secret = "px_it" + UUID.randomUUID().toString().replace("-", "");
        UUID keyId = UUID.randomUUID();
        String user = licenseId == null ? "user-" + keyId : "license:" + licenseId;
        ProxyKeyIssued issued = new ProxyKeyIssued(UUID.randomUUID(), 0, Instant.now(), keyId, "tenant-it", user,
                sha256(secret), secret.substring(secret.length() - 4), List.of("openai"), null, licenseId,
                hardwareId == null ? null : sha256(hardwareId), null, null, tier);
        kafka.send(Topics.ADMIN_PROXY_KEYS, keyId.toString(), JSON.writerFor(ProxyKeyEvent.class)
                .writeValueAsString(issued)).get(30, TimeUnit.SECONDS);
        ProxyKey key = new ProxyKey(keyId, secret, user, hardwareId, 0);
        await().atMost(Duration.ofSeconds(30)).until(() -> call(key, false) == 200);
        // The probe call above is usage too: wait for it so the test counts only its own calls.
        usageOf(key, 1);
        return new ProxyKey(keyId, secret, user, hardwareId, 1);
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * The usage events recorded for this key beyond the ones before the test: reads the topic until {@code expected}
     * arrived, then a little longer so that a duplicate would show.
     */
    /** The {@code traceparent} header of each usage record {@link #usageOf} read, by event id. */
    private final Map<UUID, String> traceparents = new HashMap<>();

    private List<UsageRecorded> usageOf(ProxyKey key, int expected) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "proxy-usage-it-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        List<UsageRecorded> all = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
            consumer.subscribe(List.of(Topics.USAGE_RECORDED));
            int idle = 0;
            while (all.size() < expected + key.before() || idle < 4) {
                var records = consumer.poll(Duration.ofMillis(500));
                idle = records.isEmpty() ? idle + 1 : 0;
                for (ConsumerRecord<String, String> record : records) {
                    UsageRecorded event = JSON.readValue(record.value(), UsageRecorded.class);
                    if (key.id().toString().equals(event.proxyKeyId())) {
                        all.add(event);
                        var traceparent = record.headers().lastHeader("traceparent");
                        if (traceparent != null) {
                            traceparents.put(event.eventId(), new String(traceparent.value(), StandardCharsets.US_ASCII));
                        }
                    }
                }
                assertThat(idle).as("usage events keep arriving (%d of %d)", all.size(), expected + key.before())
                        .isLessThan(all.size() < expected + key.before() ? 120 : 20);
            }
        }
        all.sort(java.util.Comparator.comparing(UsageRecorded::occurredAt));
        return all.subList(key.before(), all.size());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    /**
     * A proxy key, its secret, its user, the hardware id a device key was activated on ({@code null} for none), and
     * how many usage events it had before the test's own calls.
     */
    private record ProxyKey(UUID id, String secret, String userId, String hardwareId, int before) {
    }
}
