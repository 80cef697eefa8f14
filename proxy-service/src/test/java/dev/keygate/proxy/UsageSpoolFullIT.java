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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

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
 * Admission control of the usage spool, through the whole proxy: with a spool limit of one byte, the first event that
 * has to wait for Kafka fills it, further calls are refused with a 503 problem that the SDKs can read, and calls are
 * admitted again once Kafka took the events back. Every admitted call's event arrives. Keyvault is a stub, as in
 * {@link ProxyUsageIT}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class UsageSpoolFullIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final FakeLlmProvider PROVIDER = FakeLlmProvider.start();
    private static final StandaloneKafka KAFKA;
    private static final Path SPOOL;

    static {
        try {
            Path work = Files.createTempDirectory("usage-spool-full-it");
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
        registry.add("keygate.proxy.metering.spool.max-size", () -> "1B");
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
    void refusesNewCallsWith503WhileTheSpoolIsFullAndLosesNoEventOfAnAdmittedCall() throws Exception {
        ProxyKey key = issueProxyKey();
        AtomicInteger admitted = new AtomicInteger();
        AtomicReference<HttpResponse<String>> refusal = new AtomicReference<>();

        KAFKA.stop();
        // Calls keep being admitted until the first event that cannot reach Kafka lands in the (one-byte) spool.
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
            HttpResponse<String> response = send(key);
            if (response.statusCode() == 200) {
                admitted.incrementAndGet();
                return false;
            }
            refusal.set(response);
            return true;
        });
        HttpResponse<String> refused = refusal.get();
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("10");
        assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(refused.body()).contains("https://keygate.dev/problems/usage-spool-full")
                .contains("\"code\":\"usage_spool_full\"");
        assertThat(PROVIDER.requests()).as("a refused call never reaches the provider").hasSize(admitted.get() + 1);
        assertThat(meters.counter("keygate.proxy.usage.spool.refused").count()).isPositive();

        KAFKA.start();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                .until(() -> send(key).statusCode() == 200);
        int calls = admitted.get() + 1;

        List<UsageRecorded> recorded = usageOf(key, calls);
        assertThat(recorded).as("every admitted call's event, none twice").hasSize(calls);
        assertThat(recorded.stream().map(UsageRecorded::eventId).distinct()).hasSize(calls);
        assertThat(meters.counter("keygate.proxy.usage.spool.lost").count()).isZero();
    }

    private HttpResponse<String> send(ProxyKey key) throws Exception {
        return client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/api/proxy/openai/v1/chat/completions"))
                .header("Authorization", "Bearer " + key.secret()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Count me\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private int call(ProxyKey key, boolean stream) throws Exception {
        String body = """
                {"model":"gpt-4o-mini",%s"messages":[{"role":"user","content":"Count this call"}]}"""
                .formatted(stream ? "\"stream\":true,\"stream_options\":{\"include_usage\":true}," : "");
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/api/proxy/openai/v1/chat/completions"))
                .header("Authorization", "Bearer " + key.secret()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return response.statusCode();
    }

    /** Issues a proxy key as admin-service's outbox would, and waits until the proxy accepts it. */
    private ProxyKey issueProxyKey() throws Exception {
        String secret = "px_it" + UUID.randomUUID().toString().replace("-", "");
        UUID keyId = UUID.randomUUID();
        String hash = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(secret.getBytes(StandardCharsets.UTF_8)));
        ProxyKeyIssued issued = new ProxyKeyIssued(UUID.randomUUID(), 0, Instant.now(), keyId, "tenant-it",
                "user-" + keyId, hash, secret.substring(secret.length() - 4), List.of("openai"), null, null, null,
                null, null, null);
        kafka.send(Topics.ADMIN_PROXY_KEYS, keyId.toString(), JSON.writerFor(ProxyKeyEvent.class)
                .writeValueAsString(issued)).get(30, TimeUnit.SECONDS);
        ProxyKey key = new ProxyKey(keyId, secret);
        await().atMost(Duration.ofSeconds(30)).until(() -> call(key, false) == 200);
        // The probe call above is usage too: wait for it so the test counts only its own calls.
        usageOf(key, 1);
        return new ProxyKey(keyId, secret, 1);
    }

    /**
     * The usage events recorded for this key beyond the ones before the test: reads the topic until {@code expected}
     * arrived, then a little longer so that a duplicate would show.
     */
    private List<UsageRecorded> usageOf(ProxyKey key, int expected) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "usage-spool-full-it-" + UUID.randomUUID());
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

    /** A proxy key, its secret, and how many usage events it had before the test's own calls. */
    private record ProxyKey(UUID id, String secret, int before) {

        ProxyKey(UUID id, String secret) {
            this(id, secret, 0);
        }
    }
}
