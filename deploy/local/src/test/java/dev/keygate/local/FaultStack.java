package dev.keygate.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import dev.keygate.testkit.FakeLlmProvider;
import dev.keygate.testkit.LocalPki;
import dev.keygate.testkit.LocalPostgres;
import dev.keygate.testkit.ServiceCertificate;
import dev.keygate.testkit.TestKeycloak;

/**
 * A whole stack of its own for the fault suite, whose parts the suite may stop, kill and start again: a standalone
 * Kafka KRaft broker as a child JVM ({@link KafkaBrokerProcess}), a PostgreSQL server (both keep their data across
 * restarts, on the same ports), the four services as child processes, a fake provider and a PKI of its own. Only
 * Keycloak is the JVM's shared server, so {@link RunningStack} may run beside it; the services reach it through a
 * {@link LoopbackRelay} (their {@code KEYGATE_OIDC_INTERNAL_URL}) that the suite can cut, while tokens still name
 * Keycloak's own issuer URL.
 * Everything lives under {@code target/reliability}, emptied at start; logs are appended across restarts.
 */
final class FaultStack implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(180);

    private final Path work;
    private final StackWiring wiring;
    private final TestKeycloak keycloak;
    private final FakeLlmProvider provider;
    private final LoopbackRelay keycloakLink;
    private final Map<KeygateService, Map<String, String>> environments = new EnumMap<>(KeygateService.class);
    private final Map<KeygateService, ServiceProcess> services =
            Collections.synchronizedMap(new EnumMap<>(KeygateService.class));
    private volatile KafkaBrokerProcess kafka;
    private volatile LocalPostgres postgres;
    private boolean closed;

    private FaultStack(Path work, StackWiring wiring, TestKeycloak keycloak, FakeLlmProvider provider,
                       LoopbackRelay keycloakLink) {
        this.work = work;
        this.wiring = wiring;
        this.keycloak = keycloak;
        this.provider = provider;
        this.keycloakLink = keycloakLink;
    }

    /** Starts everything and returns once the broker is ready and every service is healthy. */
    static FaultStack start() throws IOException {
        Path work = Path.of("target", "reliability").toAbsolutePath();
        deleteRecursively(work);
        Files.createDirectories(work);
        // Keycloak (the JVM's shared one) starts while PostgreSQL, the PKI and the broker do, unless it already runs.
        CompletableFuture<TestKeycloak> keycloakStarting = TestKeycloak.startAsync();
        int[] free = RunningStack.freePorts(9);
        LocalPostgres postgres = LocalPostgres.start(work.resolve("postgres"), free[8]);
        FakeLlmProvider provider = FakeLlmProvider.start();
        LocalPki pki = LocalPki.open(work.resolve("pki"), "Keygate Reliability CA");
        Map<KeygateService, ServiceCertificate> certificates = new EnumMap<>(KeygateService.class);
        for (KeygateService service : KeygateService.values()) {
            certificates.put(service, pki.issue(service.module()));
        }
        Path masterKeys = work.resolve("master-keys");
        byte[] masterKey = new byte[32];
        new SecureRandom().nextBytes(masterKey);
        Files.writeString(masterKeys, "1=" + Base64.getEncoder().encodeToString(masterKey) + "\n");

        KafkaBrokerProcess kafka = startKafka(work, free[0], free[1]);
        TestKeycloak keycloak = keycloakStarting.join();
        StackPorts ports = new StackPorts(postgres.port(), free[0], free[1], keycloak.port(), free[2], provider.port(),
                free[3], free[4], free[5], free[6], free[7]);
        StackWiring wiring = new StackWiring(ports, postgres.database("relkeyvault", false),
                postgres.database("reladmin", true), postgres.database("relusage", false),
                "127.0.0.1:" + ports.kafka(), keycloak.issuerUri(), keycloak.adminClientSecret(), masterKeys,
                certificates, provider.baseUrl(), provider.baseUrl());
        FaultStack stack = new FaultStack(work, wiring, keycloak, provider, LoopbackRelay.to(keycloak.port()));
        stack.kafka = kafka;
        stack.postgres = postgres;
        Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "fault-stack-stop"));
        stack.environments.putAll(environments(stack));
        for (KeygateService service : KeygateService.values()) {
            stack.launch(service);
        }
        for (KeygateService service : KeygateService.values()) {
            stack.awaitHealthy(service);
        }
        return stack;
    }

    private static Map<KeygateService, Map<String, String>> environments(FaultStack stack) {
        Map<KeygateService, Map<String, String>> all = new EnumMap<>(KeygateService.class);
        for (KeygateService service : KeygateService.values()) {
            all.put(service, new HashMap<>(ServiceEnvironment.of(service, stack.wiring)));
        }
        // Keycloak as the services reach it: through the relay the suite cuts. admin-service and usage-service keep
        // the realm's keys 10 s instead of 5 min, so the outage outlasts their key cache several times.
        String internalRealm = "http://127.0.0.1:" + stack.keycloakLink.port() + "/realms/keygate";
        for (KeygateService service : List.of(KeygateService.PROXY, KeygateService.ADMIN, KeygateService.USAGE)) {
            all.get(service).put("KEYGATE_OIDC_INTERNAL_URL", internalRealm);
            all.get(service).put("KEYGATE_OIDC_KEYS_CACHE", "10s");
        }
        Map<String, String> proxy = all.get(KeygateService.PROXY);
        for (String upstream : List.of("KEYGATE_PROVIDER_GEMINI_URL", "KEYGATE_PROVIDER_XAI_URL",
                "KEYGATE_TOOL_BRAVE_URL", "KEYGATE_TOOL_E2B_URL", "KEYGATE_TOOL_EXA_URL")) {
            proxy.put(upstream, stack.provider.baseUrl().toString());
        }
        proxy.put("KEYGATE_USAGE_SPOOL_DIR", stack.spoolDirectory().toString());
        // Every client of the suite is 127.0.0.1; the per-address limits are not what this suite tests.
        proxy.put("KEYGATE_IP_REQUESTS", "1000000");
        proxy.put("KEYGATE_IP_FAILED_AUTHENTICATIONS", "100000");
        // Longer than the whole suite, so "cached" in the keyvault fault does not depend on how slow the machine is.
        proxy.put("KEYGATE_KEY_CACHE_TTL", "30m");
        return all;
    }

    /** Starts {@code service} again (or for the first time) with the same environment; call awaitHealthy next. */
    void launch(KeygateService service) {
        Path root = Path.of(System.getProperty("keygate.root", "../..")).toAbsolutePath().normalize();
        Path jar = service.executableJar(root, System.getProperty("keygate.version", "0.1.0-SNAPSHOT"));
        services.put(service, ServiceProcess.startJar(service.module(), jar, service.jvmOptions(),
                environments.get(service), work, logFile(service.module())));
    }

    void awaitHealthy(KeygateService service) {
        services.get(service).awaitHealthy(service.healthUrl(wiring.ports()), START_TIMEOUT);
    }

    /** SIGKILL: no shutdown hook, no flush, no offset commit. Returns once the process is gone. */
    void kill(KeygateService service) throws InterruptedException {
        Process process = services.get(service).process();
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGTERM, a graceful stop. */
    void stop(KeygateService service) {
        services.get(service).stop();
    }

    ServiceProcess process(KeygateService service) {
        return services.get(service);
    }

    /** Starts the broker on the same ports and data directory (formatted on first start only); ready on return. */
    void startKafka() {
        kafka = startKafka(work, wiring.ports().kafka(), wiring.ports().kafkaController());
    }

    private static KafkaBrokerProcess startKafka(Path work, int port, int controllerPort) {
        KafkaBrokerProcess broker = KafkaBrokerProcess.start(work.resolve("kafka"), port, controllerPort,
                kafkaClasspath(), work.resolve("logs").resolve("kafka.log"));
        try {
            broker.awaitReady(Duration.ofSeconds(120));
        }
        catch (RuntimeException ex) {
            broker.stop();
            throw ex;
        }
        return broker;
    }

    /**
     * Stops PostgreSQL with a fast shutdown (SIGINT to the postmaster: sessions are ended, as {@code pg_ctl stop -m
     * fast} does, but without pg_ctl's 5 s limit, which a busy machine exceeds), waits for it to exit, and starts it
     * again on the same data and port. Returns the seconds it was down.
     */
    double restartPostgres() throws IOException, InterruptedException, ExecutionException, TimeoutException {
        Path data = work.resolve("postgres");
        long started = System.nanoTime();
        long pid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).strip());
        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(pid)).start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -INT " + pid + " failed");
        }
        Optional<ProcessHandle> postmaster = ProcessHandle.of(pid);
        if (postmaster.isPresent()) {
            postmaster.get().onExit().get(60, TimeUnit.SECONDS);
        }
        // Releases the embedded server's lock on the data directory (its own stop finds nothing left to stop).
        postgres.close();
        postgres = LocalPostgres.start(data, wiring.ports().postgres());
        return (System.nanoTime() - started) / 1e9;
    }

    void stopKafka() {
        kafka.stop();
    }

    /** Keycloak becomes unreachable for the services: their connections to it are refused or reset. */
    void cutKeycloak() {
        keycloakLink.cut();
    }

    void restoreKeycloak() {
        keycloakLink.restore();
    }

    /**
     * The broker runs from this module's classes and copied runtime dependencies (kafka_2.13 arrives through the
     * testkit), as start.sh runs it; both exist once the package phase ran.
     */
    private static String kafkaClasspath() {
        Path classes = Path.of("target", "classes").toAbsolutePath();
        Path lib = Path.of("target", "lib").toAbsolutePath();
        if (!Files.isDirectory(lib) || !Files.isRegularFile(classes.resolve("keygate-kafka-logback.xml"))) {
            throw new IllegalStateException("Missing " + lib + " or " + classes + ": run this module's package phase "
                    + "first (./mvnw -pl deploy/local verify runs it)");
        }
        return classes + java.io.File.pathSeparator + lib + "/*";
    }

    private Path logFile(String name) {
        return work.resolve("logs").resolve(name + ".log");
    }

    StackWiring wiring() {
        return wiring;
    }

    TestKeycloak keycloak() {
        return keycloak;
    }

    FakeLlmProvider provider() {
        return provider;
    }

    Path spoolDirectory() {
        return work.resolve("spool");
    }

    Path logDirectory() {
        return work.resolve("logs");
    }

    Path workDirectory() {
        return work;
    }

    URI admin(String path) {
        return URI.create(KeygateService.ADMIN.baseUrl(wiring.ports()) + path);
    }

    URI usage(String path) {
        return URI.create(KeygateService.USAGE.baseUrl(wiring.ports()) + path);
    }

    URI proxy(String path) {
        return URI.create(KeygateService.PROXY.baseUrl(wiring.ports()) + path);
    }

    URI health(KeygateService service) {
        return service.healthUrl(wiring.ports());
    }

    URI prometheus(KeygateService service) {
        return URI.create(health(service).toString().replace("/actuator/health", "/actuator/prometheus"));
    }

    /** Stops the services in reverse start order, then the broker and the provider; safe to call twice. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<KeygateService> reverse;
        synchronized (services) {
            reverse = new ArrayList<>(services.keySet());
        }
        Collections.reverse(reverse);
        reverse.forEach(service -> services.get(service).stop());
        if (kafka != null) {
            kafka.stop();
        }
        postgres.close();
        provider.close();
        keycloakLink.close();
    }

    private static void deleteRecursively(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> all = Files.walk(directory)) {
            for (Path path : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
        catch (UncheckedIOException ex) {
            throw ex.getCause();
        }
    }
}
