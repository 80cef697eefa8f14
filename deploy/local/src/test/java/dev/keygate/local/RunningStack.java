package dev.keygate.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.keygate.testkit.FakeLlmProvider;
import dev.keygate.testkit.LocalPki;
import dev.keygate.testkit.LocalPostgres;
import dev.keygate.testkit.ServiceCertificate;
import dev.keygate.testkit.ServiceDatabase;
import dev.keygate.testkit.TestKafka;
import dev.keygate.testkit.TestKeycloak;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole stack, started once per test JVM and shared by every integration test class of this module's failsafe
 * fork: Keycloak, PostgreSQL, Kafka, the PKI, a fake LLM provider and the four services as separate processes from
 * their runnable jars, exactly as the one-machine stack starts them. A shutdown hook stops the services when the
 * JVM exits. Test classes share users and the ledger, so they assert on what they created themselves (their own
 * proxy keys, provider keys and users' usage), and reset the fake provider before they start.
 */
final class RunningStack {

    private static final Logger log = LoggerFactory.getLogger(RunningStack.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static RunningStack instance;
    private static RuntimeException failure;

    private final Map<KeygateService, ServiceProcess> services;
    private final TestKeycloak keycloak;
    private final FakeLlmProvider provider;
    private final StackWiring wiring;
    private final Path workDirectory;
    private final Map<ServiceProcess, Integer> extraProxies = new java.util.concurrent.ConcurrentHashMap<>();
    private final OtlpSpanReceiver spans;

    private RunningStack(Map<KeygateService, ServiceProcess> services, TestKeycloak keycloak, FakeLlmProvider provider,
                         StackWiring wiring, Path workDirectory, OtlpSpanReceiver spans) {
        this.services = services;
        this.keycloak = keycloak;
        this.provider = provider;
        this.wiring = wiring;
        this.workDirectory = workDirectory;
        this.spans = spans;
    }

    /**
     * The stack of this JVM, started on first use (about a minute), healthy when this returns. A failed start is
     * not retried: every later caller gets the same failure, and the shutdown hook stops what did start.
     */
    static synchronized RunningStack get() {
        if (failure != null) {
            throw new IllegalStateException("The shared stack failed to start earlier in this JVM", failure);
        }
        if (instance == null) {
            try {
                instance = start();
            }
            catch (IOException ex) {
                failure = new UncheckedIOException(ex);
                throw failure;
            }
            catch (RuntimeException ex) {
                failure = ex;
                throw ex;
            }
        }
        return instance;
    }

    private static RunningStack start() throws IOException {
        long started = System.nanoTime();
        CompletableFuture<TestKeycloak> keycloakStarting = TestKeycloak.startAsync();
        LocalPostgres postgres = LocalPostgres.shared();
        String kafka = TestKafka.bootstrapServers();
        FakeLlmProvider provider = FakeLlmProvider.start();
        OtlpSpanReceiver spans = OtlpSpanReceiver.start();
        LocalPki pki = LocalPki.shared();
        Path workDirectory = Files.createDirectories(Path.of("target", "running-stack")).toAbsolutePath();
        Path masterKeys = workDirectory.resolve("master-keys");
        Files.writeString(masterKeys, "1=" + Base64.getEncoder().encodeToString(randomBytes(32)) + "\n");

        Map<KeygateService, ServiceCertificate> certificates = new EnumMap<>(KeygateService.class);
        for (KeygateService service : KeygateService.values()) {
            certificates.put(service, pki.issue(service.module()));
        }
        ServiceDatabase keyvaultDb = postgres.database("keyvault", false);
        ServiceDatabase adminDb = postgres.database("admin", true);
        ServiceDatabase usageDb = postgres.database("usage", false);
        TestKeycloak keycloak = keycloakStarting.join();

        int[] free = freePorts(7);
        StackPorts ports = new StackPorts(postgres.port(), kafkaPort(kafka), free[0], keycloak.port(), free[1],
                provider.port(), free[2], free[3], free[4], free[5], free[6]);
        StackWiring wiring = new StackWiring(ports, keyvaultDb, adminDb, usageDb, kafka, keycloak.issuerUri(),
                keycloak.adminClientSecret(), masterKeys, certificates, provider.baseUrl(), provider.baseUrl());

        Path root = Path.of(System.getProperty("keygate.root", "../..")).toAbsolutePath().normalize();
        String version = System.getProperty("keygate.version", "0.1.0-SNAPSHOT");
        Map<KeygateService, ServiceProcess> services = Collections.synchronizedMap(new EnumMap<>(KeygateService.class));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop(services, provider);
            spans.close();
        }, "running-stack-stop"));
        for (KeygateService service : KeygateService.values()) {
            Path logFile = workDirectory.resolve(service.module() + ".log");
            ServiceProcess.rotateLog(logFile);
            Map<String, String> environment = service == KeygateService.PROXY ? proxyEnvironment(wiring, provider)
                    : new HashMap<>(ServiceEnvironment.of(service, wiring));
            traced(environment, spans);
            services.put(service, ServiceProcess.startJar(service.module(), service.executableJar(root, version),
                    service.jvmOptions(), environment, workDirectory, logFile));
        }
        for (KeygateService service : KeygateService.values()) {
            services.get(service).awaitHealthy(service.healthUrl(ports), Duration.ofSeconds(180));
            log.info("{} healthy after {} s, RSS {} MiB", service.module(),
                    String.format("%.1f", services.get(service).secondsSinceStart()),
                    services.get(service).rssKiB() / 1024);
        }
        log.info("Whole stack ready in {} s", String.format("%.1f", (System.nanoTime() - started) / 1e9));
        return new RunningStack(services, keycloak, provider, wiring, workDirectory, spans);
    }

    /**
     * Every span of every call, exported at once to the receiver standing in for an OTLP collector
     * (ObservabilityIT), whatever the services' own default sampling is.
     */
    private static void traced(Map<String, String> environment, OtlpSpanReceiver spans) {
        environment.put("KEYGATE_TRACE_SAMPLING", "1.0");
        environment.put("MANAGEMENT_OPENTELEMETRY_TRACING_EXPORT_OTLP_ENDPOINT", spans.tracesEndpoint().toString());
        environment.put("MANAGEMENT_OPENTELEMETRY_TRACING_EXPORT_SCHEDULE_DELAY", "200ms");
    }

    private static Map<String, String> proxyEnvironment(StackWiring wiring, FakeLlmProvider provider) {
        Map<String, String> environment = new HashMap<>(ServiceEnvironment.of(KeygateService.PROXY, wiring));
        // Every upstream on the fake provider, so no test call can leave the machine.
        for (String upstream : List.of("KEYGATE_PROVIDER_GEMINI_URL", "KEYGATE_PROVIDER_XAI_URL",
                "KEYGATE_TOOL_BRAVE_URL", "KEYGATE_TOOL_E2B_URL", "KEYGATE_TOOL_EXA_URL")) {
            environment.put(upstream, provider.baseUrl().toString());
        }
        // Every test client shares 127.0.0.1, and the suites refuse credentials on purpose (wrong keys,
        // 100 revocations polled until refused): the per-address limits stay on with figures a whole suite
        // cannot reach. AddressLimitsIT in proxy-service tests them at their real defaults.
        environment.put("KEYGATE_IP_REQUESTS", "1000000");
        environment.put("KEYGATE_IP_FAILED_AUTHENTICATIONS", "100000");
        return environment;
    }

    /**
     * Starts one more proxy-service instance beside the stack's, in {@code region}, with a spool of its own; healthy
     * when this returns, stopped with the stack (or earlier through {@link ServiceProcess#stop()}).
     */
    ServiceProcess startAnotherProxy(String region) {
        int port = freePorts(1)[0];
        Map<String, String> environment = proxyEnvironment(wiring, provider);
        environment.put("PROXY_PORT", Integer.toString(port));
        environment.put("KEYGATE_REGION", region);
        environment.put("KEYGATE_USAGE_SPOOL_DIR", workDirectory.resolve("spool-" + region).toString());
        traced(environment, spans);
        String name = "proxy-service-" + region;
        Path logFile = workDirectory.resolve(name + ".log");
        ServiceProcess.rotateLog(logFile);
        Path root = Path.of(System.getProperty("keygate.root", "../..")).toAbsolutePath().normalize();
        ServiceProcess process = ServiceProcess.startJar(name, KeygateService.PROXY.executableJar(root,
                System.getProperty("keygate.version", "0.1.0-SNAPSHOT")), KeygateService.PROXY.jvmOptions(),
                environment, workDirectory, logFile);
        Runtime.getRuntime().addShutdownHook(new Thread(process::stop, name + "-stop"));
        process.awaitHealthy(URI.create("http://127.0.0.1:" + port + "/actuator/health"), Duration.ofSeconds(180));
        extraProxies.put(process, port);
        return process;
    }

    URI proxy(ServiceProcess instance, String path) {
        return URI.create("http://127.0.0.1:" + extraProxies.get(instance) + path);
    }

    private static void stop(Map<KeygateService, ServiceProcess> services, FakeLlmProvider provider) {
        List<KeygateService> reverse;
        synchronized (services) {
            reverse = new ArrayList<>(services.keySet());
        }
        Collections.reverse(reverse);
        reverse.forEach(service -> services.get(service).stop());
        provider.close();
    }

    TestKeycloak keycloak() {
        return keycloak;
    }

    FakeLlmProvider provider() {
        return provider;
    }

    StackWiring wiring() {
        return wiring;
    }

    Path workDirectory() {
        return workDirectory;
    }

    /** The spans the four services exported. */
    OtlpSpanReceiver spans() {
        return spans;
    }

    /** A service's Prometheus scrape ({@code /actuator/prometheus}; keyvault's on its management port). */
    String scrape(KeygateService service) {
        URI url = URI.create(service.healthUrl(wiring.ports()).toString().replace("/actuator/health",
                "/actuator/prometheus"));
        HttpResponse<String> scraped = send(HttpRequest.newBuilder(url).GET());
        assertThat(scraped.statusCode()).as(url + ": " + scraped.body()).isEqualTo(200);
        return scraped.body();
    }

    List<ServiceProcess> services() {
        return List.copyOf(services.values());
    }

    URI admin(String path) {
        return URI.create(KeygateService.ADMIN.baseUrl(wiring.ports()) + path);
    }

    URI proxy(String path) {
        return URI.create(KeygateService.PROXY.baseUrl(wiring.ports()) + path);
    }

    /** An access token of a demo user by the password grant of the CLI client. */
    String token(String username) {
        return keycloak.passwordGrant(username);
    }

    /** Stores {@code apiKey} as the signed-in user's own key for {@code provider}, over admin-service. */
    void storeProviderKey(String accessToken, String provider, String apiKey) {
        HttpResponse<String> stored = send(HttpRequest.newBuilder(admin("/api/v1/me/provider-keys/" + provider))
                .header("Authorization", "Bearer " + accessToken)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"api_key\":\"" + apiKey + "\"}")));
        assertThat(stored.statusCode()).as(stored.body()).isEqualTo(200);
    }

    /** Creates a proxy key for the signed-in user; the answer carries {@code id} and the once-shown {@code key}. */
    JsonNode createProxyKey(String accessToken, String name) {
        HttpResponse<String> created = send(HttpRequest.newBuilder(admin("/api/v1/proxy-keys"))
                .header("Authorization", "Bearer " + accessToken)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\"}")));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return JSON.readTree(created.body());
    }

    /**
     * Waits until the proxy knows a new proxy key (it learns of it from Kafka), asking a route that never reaches
     * the provider, so the fake provider's record stays the test's own.
     */
    void awaitProxyAccepts(String proxyKey) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> send(HttpRequest.newBuilder(proxy("/api/rate-limit-status"))
                        .header("Authorization", "Bearer " + proxyKey).GET()).statusCode() == 200);
    }

    /** A demo user's proxy key, known to the proxy when this returns. */
    String proxyKeyFor(String username, String name) {
        String key = createProxyKey(token(username), name).get("key").asString();
        awaitProxyAccepts(key);
        return key;
    }

    static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    static HttpClient http() {
        return HTTP;
    }

    /** Every record of a topic, from the beginning to its current end. */
    List<ConsumerRecord<byte[], byte[]>> allRecords(String topic) {
        return allRecords(wiring.kafkaBootstrap(), topic);
    }

    /** Every record of a topic of the broker at {@code bootstrap}, from the beginning to its current end. */
    static List<ConsumerRecord<byte[], byte[]>> allRecords(String bootstrap, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted"))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
            });
            return records;
        }
    }

    static List<String> tables(ServiceDatabase database) throws SQLException {
        return rows(database, "select table_name from information_schema.tables where table_schema = 'public'")
                .stream().map(row -> (String) row.get("table_name")).toList();
    }

    static long count(ServiceDatabase database, String sql) throws SQLException {
        return ((Number) rows(database, sql).get(0).values().iterator().next()).longValue();
    }

    static List<Map<String, Object>> rows(ServiceDatabase database, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.username(),
                database.password()); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery(sql)) {
            ResultSetMetaData meta = result.getMetaData();
            List<Map<String, Object>> rows = new ArrayList<>();
            while (result.next()) {
                Map<String, Object> row = new HashMap<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    Object value = result.getObject(i);
                    row.put(meta.getColumnName(i), value instanceof byte[] bytes
                            ? new String(bytes, StandardCharsets.ISO_8859_1) : value);
                }
                rows.add(row);
            }
            return rows;
        }
    }

    static String random(int length) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(length)).substring(0, length);
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }

    private static int kafkaPort(String bootstrap) {
        String first = bootstrap.split(",")[0];
        return Integer.parseInt(first.substring(first.lastIndexOf(':') + 1));
    }

    static int[] freePorts(int count) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                sockets.add(new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()));
            }
            return sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        finally {
            sockets.forEach(socket -> {
                try {
                    socket.close();
                }
                catch (IOException ignored) {
                    // freed either way
                }
            });
        }
    }
}
