package dev.keygate.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.net.ssl.SSLContext;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ProxyKeyEvent;
import dev.keygate.contracts.admin.v1.ProxyKeyIssued;
import dev.keygate.local.KafkaBrokerProcess;
import dev.keygate.local.KeygateService;
import dev.keygate.local.ServiceEnvironment;
import dev.keygate.local.ServiceProcess;
import dev.keygate.local.StackPorts;
import dev.keygate.local.StackWiring;
import dev.keygate.testkit.LocalPki;
import dev.keygate.testkit.LocalPostgres;
import dev.keygate.testkit.ServiceCertificate;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import tools.jackson.databind.json.JsonMapper;

/**
 * Load run on loopback: the same requests, with wrk, straight to a fake provider ("direct"), through nginx (the
 * ceiling of a reverse proxy), through a bare Reactor Netty proxy ({@link NettyFloorProxy}: the floor of Keygate's
 * own HTTP stack) and through Keygate's proxy with everything on (px_ key authentication, key lease from
 * keyvault over mTLS, usage metering and one UsageRecorded per call to Kafka). Cells are run alternating targets and
 * every figure is also given as a ratio to direct. Starts and stops everything it needs.
 *
 * <p>Arguments: {@code [--duration=10] [--warmup=20] [--soak=0]} (seconds per measured cell; seconds of unmeasured
 * load on Keygate before the first cell, half JSON and half streaming, while direct and nginx get a quarter of it
 * each; a soak of N seconds runs Keygate at 32 connections afterwards, sampling its RSS). Writes
 * {@code bench/results/proxy.md}. With {@code KEYGATE_BENCH_JFR=<file>} the proxy is flight-recorded during the
 * measured cells only (started after the warm-up with {@code jcmd}), so the profile shows steady state, not start-up
 * and JIT compilation.
 */
public final class ProxyBenchmark {

    private static final String VERSION = "0.1.0-SNAPSHOT";
    private static final String BODY = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":"
            + "\"Benchmark me\"}]}";
    private static final String STREAM_BODY = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":"
            + "{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"Benchmark me\"}]}";
    private static final long CLOCK_TICKS = 100;
    /** Seconds of no load over which the idle proxy's CPU is measured (clock ticks are 10 ms). */
    private static final int IDLE_SECONDS = 20;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path root;
    private final Path work;
    private final List<AutoCloseable> started = new ArrayList<>();
    private final StringBuilder notes = new StringBuilder();
    private String proxyKey;
    private String warmupSummary = "none";
    private double idleMillisPerSecond = -1;

    private ProxyBenchmark(Path root, Path work) {
        this.root = root;
        this.work = work;
    }

    public static void main(String[] args) throws Exception {
        int duration = 10;
        int warmup = 20;
        int soak = 0;
        for (String arg : args) {
            if (arg.startsWith("--duration=")) {
                duration = Integer.parseInt(arg.substring("--duration=".length()));
            }
            else if (arg.startsWith("--warmup=")) {
                warmup = Integer.parseInt(arg.substring("--warmup=".length()));
            }
            else if (arg.startsWith("--soak=")) {
                soak = Integer.parseInt(arg.substring("--soak=".length()));
            }
            else {
                throw new IllegalArgumentException("unknown argument " + arg + "; use --duration=S --warmup=S --soak=S");
            }
        }
        Path root = Path.of(System.getProperty("keygate.root", ".")).toAbsolutePath().normalize();
        Path work = root.resolve("bench/target/proxy-bench");
        deleteTree(work);
        Files.createDirectories(work);
        ProxyBenchmark bench = new ProxyBenchmark(root, work);
        try {
            bench.run(duration, warmup, soak);
        }
        finally {
            bench.stopAll();
        }
        // Embedded PostgreSQL and the JDK keep non-daemon threads; everything we started is stopped by now.
        System.exit(0);
    }

    private void run(int duration, int warmup, int soak) throws Exception {
        int providerPort = freePort();
        int nginxPort = freePort();
        int kafkaPort = freePort();
        int kafkaControllerPort = freePort();
        int keyvaultPort = freePort();
        int keyvaultManagementPort = freePort();
        int proxyPort = freePort();
        int floorPort = freePort();

        log("starting the bench provider on " + providerPort);
        ServiceProcess provider = ServiceProcess.start("bench-provider", List.of(ServiceProcess.javaExecutable()
                        .toString(), "-XX:+UseSerialGC", "-Xmx256m",
                        // Without TCP_NODELAY the JDK server's separate header and body writes meet the client's
                        // delayed ACK: 40 ms per response.
                        "-Dsun.net.httpserver.nodelay=true", "-cp", System.getProperty("java.class.path"),
                BenchProvider.class.getName(), Integer.toString(providerPort)), Map.of(), work,
                work.resolve("bench-provider.log"));
        started.add(provider);
        URI providerUrl = URI.create("http://127.0.0.1:" + providerPort);
        provider.awaitReady("bench provider", Duration.ofSeconds(30), () -> status(providerUrl.resolve(
                "/v1/chat/completions"), BODY, null) == 200);

        log("starting the bare Reactor Netty proxy on " + floorPort);
        ServiceProcess floor = ServiceProcess.start("netty-floor", List.of(ServiceProcess.javaExecutable().toString(),
                "-XX:+UseSerialGC", "-Xms64m", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                NettyFloorProxy.class.getName(), Integer.toString(floorPort), providerUrl.toString()), Map.of(), work,
                work.resolve("netty-floor.log"));
        started.add(floor);
        URI floorUrl = URI.create("http://127.0.0.1:" + floorPort);
        floor.awaitReady("bare Reactor Netty proxy", Duration.ofSeconds(30), () -> status(floorUrl.resolve(
                "/v1/chat/completions"), BODY, null) == 200);

        log("starting nginx on " + nginxPort);
        ServiceProcess nginx = startNginx(nginxPort, providerPort);
        started.add(nginx);
        URI nginxUrl = URI.create("http://127.0.0.1:" + nginxPort);
        nginx.awaitReady("nginx", Duration.ofSeconds(30), () -> status(nginxUrl.resolve("/v1/chat/completions"), BODY,
                null) == 200);

        log("starting PostgreSQL, Kafka and keyvault");
        LocalPostgres postgres = LocalPostgres.shared();
        KafkaBrokerProcess kafka = KafkaBrokerProcess.start(work.resolve("kafka"), kafkaPort, kafkaControllerPort,
                System.getProperty("java.class.path"), work.resolve("kafka.log"));
        started.add(kafka);
        LocalPki pki = LocalPki.open(work.resolve("pki"), "Keygate bench CA");
        Map<KeygateService, ServiceCertificate> certificates = new EnumMap<>(KeygateService.class);
        certificates.put(KeygateService.KEYVAULT, pki.issue("keyvault-service"));
        certificates.put(KeygateService.PROXY, pki.issue("proxy-service"));
        ServiceCertificate admin = pki.issue("admin-service");
        Path masterKeys = work.resolve("master-keys");
        byte[] master = new byte[32];
        new SecureRandom().nextBytes(master);
        Files.writeString(masterKeys, "1=" + Base64.getEncoder().encodeToString(master) + "\n");
        StackPorts ports = new StackPorts(postgres.port(), kafkaPort, kafkaControllerPort, freePort(), freePort(),
                providerPort, keyvaultPort, keyvaultManagementPort, freePort(), freePort(), proxyPort);
        StackWiring wiring = new StackWiring(ports, postgres.database("keyvault", false), null, null,
                "127.0.0.1:" + kafkaPort, "http://127.0.0.1:" + ports.keycloak() + "/realms/keygate", "unused",
                masterKeys, certificates, providerUrl, providerUrl);
        ServiceProcess keyvault = ServiceProcess.startJar("keyvault-service",
                KeygateService.KEYVAULT.executableJar(root, VERSION), KeygateService.KEYVAULT.jvmOptions(),
                ServiceEnvironment.keyvault(wiring), work, work.resolve("keyvault-service.log"));
        started.add(keyvault);
        kafka.awaitReady(Duration.ofSeconds(120));
        keyvault.awaitHealthy(KeygateService.KEYVAULT.healthUrl(ports), Duration.ofSeconds(180));

        // The provider key, stored as admin-service stores it (over mTLS with admin's identity).
        String tenant = "bench";
        String user = "bench-user";
        HttpClient adminClient = HttpClient.newBuilder().sslContext(admin.sslContext(pki.caCertificate()))
                .version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> stored = adminClient.send(HttpRequest.newBuilder(KeygateService.KEYVAULT.baseUrl(ports)
                        .resolve("/v1/tenants/" + tenant + "/users/" + user + "/keys/openai"))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"key\":\"sk-bench-" + UUID.randomUUID() + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (stored.statusCode() != 200) {
            throw new IllegalStateException("keyvault refused to store the bench key: " + stored.statusCode());
        }

        log("starting proxy-service on " + proxyPort);
        ServiceProcess proxy = ServiceProcess.startJar("proxy-service", KeygateService.PROXY.executableJar(root,
                        VERSION), KeygateService.PROXY.jvmOptions(), benchProxyEnvironment(wiring), work,
                work.resolve("proxy-service.log"));
        started.add(proxy);
        proxy.awaitHealthy(KeygateService.PROXY.healthUrl(ports), Duration.ofSeconds(180));

        proxyKey = issueProxyKey(wiring.kafkaBootstrap(), tenant, user);
        URI keygateUrl = URI.create("http://127.0.0.1:" + proxyPort + "/api/proxy/openai");
        proxy.awaitReady("the bench proxy key", Duration.ofSeconds(60), () -> status(keygateUrl.resolve(
                "/api/proxy/openai/v1/chat/completions"), BODY, proxyKey) == 200);

        Map<String, URI> targets = new LinkedHashMap<>();
        targets.put("direct", providerUrl);
        targets.put("nginx", nginxUrl);
        targets.put("netty-floor", floorUrl);
        targets.put("keygate", keygateUrl);
        Path jsonScript = wrkScript("json.lua", BODY);
        Path streamScript = wrkScript("stream.lua", STREAM_BODY);

        // Warm-up, not measured. Direct and nginx get a short pass in both modes. Keygate gets at least --warmup
        // seconds in 5-second slices alternating JSON and streaming at 32 connections, and more (up to 4 times that)
        // while its JIT compiler threads still take over 10% of the proxy's CPU: its figures are meant to be those of
        // a proxy that has been running, not of one still compiling its hot path.
        int others = Math.max(2, warmup / 4);
        // The bare Reactor Netty proxy is a JVM too: it gets as long as Keygate's minimum, which its few classes need
        // far less of.
        int floorWarmup = Math.max(others, warmup / 2);
        log("warming up (not measured): direct and nginx " + 2 * others + " s each, the bare Reactor Netty proxy "
                + 2 * floorWarmup + " s, keygate at least " + warmup + " s and until its JIT settles (at most "
                + 4 * warmup + " s)");
        for (Map.Entry<String, URI> target : targets.entrySet()) {
            if (!target.getKey().equals("keygate")) {
                int seconds = target.getKey().equals("netty-floor") ? floorWarmup : others;
                wrk(target.getValue(), jsonScript, 32, seconds);
                wrk(target.getValue(), streamScript, 32, seconds);
            }
        }
        int warmed = 0;
        long warmRequests = 0;
        double jitShare = 1;
        for (int slice = 0; warmed < warmup || (jitShare > 0.10 && warmed < 4 * warmup); slice++) {
            long[] before = {cpuTicks(proxy.pid()), compilerTicks(proxy.pid())};
            Wrk result = wrk(keygateUrl, slice % 2 == 0 ? jsonScript : streamScript, 32, 5);
            long cpu = cpuTicks(proxy.pid()) - before[0];
            jitShare = cpu == 0 ? 0 : (double) (compilerTicks(proxy.pid()) - before[1]) / cpu;
            warmed += 5;
            warmRequests += result.requests();
            log(String.format(Locale.ROOT, "warm-up keygate %-6s %3d s: %6.0f req/s, %5.0f µs CPU/request, JIT %3.0f%%",
                    slice % 2 == 0 ? "json" : "stream", warmed, result.requestsPerSecond(),
                    cpu * 1e6 / CLOCK_TICKS / result.requests(), 100 * jitShare));
        }
        // A short single-connection pass too: the 1-connection cells exercise the same code with other timing.
        wrk(keygateUrl, jsonScript, 1, 2);
        wrk(keygateUrl, streamScript, 1, 2);
        warmupSummary = String.format(Locale.ROOT, "%d s of load on Keygate (%d requests, JSON and streaming, 32 "
                + "connections, then 2 s each at 1 connection; JIT share of the proxy's CPU in the last 5 s: %.0f%%), "
                + "%d s on direct and on nginx, %d s on the bare Reactor Netty proxy", warmed, warmRequests,
                100 * jitShare, 2 * others, 2 * floorWarmup);
        String recording = System.getenv("KEYGATE_BENCH_JFR");
        boolean recordingStarted = recording != null && !recording.isBlank()
                && jcmd(proxy.pid(), "JFR.start", "name=bench", "settings=profile",
                        "filename=" + Path.of(recording).toAbsolutePath());

        // async-profiler (tools.profiler:async-profiler from Maven Central, its linux-x64/libasyncProfiler.so) sees what
        // JFR's sampler does not: JIT and GC threads, native code and the kernel. KEYGATE_BENCH_ASPROF=<lib>,
        // KEYGATE_BENCH_ASPROF_FILE=<out.collapsed|out.html>.
        String asprof = System.getenv("KEYGATE_BENCH_ASPROF");
        String asprofFile = System.getenv().getOrDefault("KEYGATE_BENCH_ASPROF_FILE", work.resolve("proxy.collapsed")
                .toString());
        boolean profiling = asprof != null && !asprof.isBlank() && jcmd(proxy.pid(), "JVMTI.agent_load",
                Path.of(asprof).toAbsolutePath().toString(), quoted(System.getenv().getOrDefault(
                        "KEYGATE_BENCH_ASPROF_START", "start,event=cpu,interval=1ms")));

        List<Cell> cells = new ArrayList<>();
        List<String> order = new ArrayList<>(targets.keySet());
        for (String mode : List.of("json", "stream")) {
            for (int connections : List.of(1, 32)) {
                for (String name : order) {
                    long proxyTicks = cpuTicks(proxy.pid());
                    long jitTicks = compilerTicks(proxy.pid());
                    long vaultTicks = cpuTicks(keyvault.pid());
                    long nginxTicks = processTreeTicks(nginx.pid());
                    long providerTicks = cpuTicks(provider.pid());
                    long floorTicks = cpuTicks(floor.pid());
                    Wrk result = wrk(targets.get(name), mode.equals("json") ? jsonScript : streamScript, connections,
                            duration);
                    long proxyCpu = cpuTicks(proxy.pid()) - proxyTicks;
                    long jitCpu = compilerTicks(proxy.pid()) - jitTicks;
                    long vaultCpu = cpuTicks(keyvault.pid()) - vaultTicks;
                    long nginxCpu = processTreeTicks(nginx.pid()) - nginxTicks;
                    long providerCpu = cpuTicks(provider.pid()) - providerTicks;
                    long floorCpu = cpuTicks(floor.pid()) - floorTicks;
                    cells.add(new Cell(mode, connections, name, result, name.equals("keygate") ? proxyCpu : -1,
                            name.equals("keygate") ? vaultCpu : -1, proxy.rssKiB(), jitCpu,
                            name.equals("nginx") ? nginxCpu : -1, name.equals("netty-floor") ? floorCpu : -1,
                            providerCpu));
                    log(String.format(Locale.ROOT, "%-6s c=%-2d %-7s %8.0f req/s p50 %7.3f ms p99 %7.3f ms", mode,
                            connections, name, result.requestsPerSecond(), result.p50Ms(), result.p99Ms()));
                }
                // Alternate: the next cell starts with the target that went second here.
                order.add(order.remove(0));
            }
        }

        if (profiling) {
            jcmd(proxy.pid(), "JVMTI.agent_load", Path.of(asprof).toAbsolutePath().toString(), quoted("stop,file="
                    + Path.of(asprofFile).toAbsolutePath() + (asprofFile.endsWith(".html") ? "" : ",collapsed")));
            log("async-profiler profile of the measured cells written to " + Path.of(asprofFile).toAbsolutePath());
        }
        if (recordingStarted) {
            jcmd(proxy.pid(), "JFR.stop", "name=bench");
            log("flight recording of the measured cells written to " + Path.of(recording).toAbsolutePath());
        }

        Map<String, double[]> ttfb = new LinkedHashMap<>();
        for (Map.Entry<String, URI> target : targets.entrySet()) {
            ttfb.put(target.getKey(), firstByteMillis(target.getValue(), target.getKey().equals("keygate")
                    ? proxyKey : null, 300));
        }

        // What a lease-cache miss costs (once per tenant, user and provider per cache TTL), measured on its own: one
        // resolve at a time with the proxy's certificate, over a kept-alive mTLS connection.
        double[] resolve = resolveMillis(KeygateService.KEYVAULT.baseUrl(ports),
                certificates.get(KeygateService.PROXY).sslContext(pki.caCertificate()), tenant, user, 300);
        notes.append(String.format(Locale.ROOT, "%nkeyvault `POST /v1/resolve` alone, one at a time (what a lease-cache "
                + "miss costs the proxy, once per tenant, user and provider per cache TTL): p50 %.3f ms, p99 %.3f ms.%n", resolve[0],
                resolve[1]));

        // Idle cost: what the proxy burns with no calls at all (Kafka listener polling, schedulers, GC), once the
        // load above has ended and its JIT has had a moment to finish.
        Thread.sleep(5_000);
        long idleTicks = cpuTicks(proxy.pid());
        long idleStart = System.nanoTime();
        Thread.sleep(TimeUnit.SECONDS.toMillis(IDLE_SECONDS));
        idleMillisPerSecond = (cpuTicks(proxy.pid()) - idleTicks) * 1000.0 / CLOCK_TICKS
                / ((System.nanoTime() - idleStart) / 1e9);
        log(String.format(Locale.ROOT, "idle proxy: %.1f ms CPU per second", idleMillisPerSecond));

        List<long[]> soakSamples = new ArrayList<>();
        if (soak > 0) {
            log("soak: keygate, 32 connections, " + soak + " s");
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(soak);
            long begin = System.nanoTime();
            soakSamples.add(new long[] {0, proxy.rssKiB()});
            while (System.nanoTime() < end) {
                int slice = (int) Math.min(30, Math.max(1, TimeUnit.NANOSECONDS.toSeconds(end - System.nanoTime())));
                wrk(keygateUrl, jsonScript, 32, slice);
                soakSamples.add(new long[] {TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - begin),
                        proxy.rssKiB()});
            }
        }
        String spoolFiles;
        try (Stream<Path> files = Files.exists(work.resolve("spool/usage")) ? Files.list(work.resolve("spool/usage"))
                : Stream.empty()) {
            spoolFiles = Long.toString(files.count());
        }
        String report = report(duration, warmup, soak, cells, ttfb, soakSamples, proxy.rssKiB(), spoolFiles);
        System.out.println(report);
        Files.createDirectories(root.resolve("bench/results"));
        Files.writeString(root.resolve("bench/results/proxy.md"), report);
    }

    /**
     * The local stack's proxy environment with the per-address limit raised: wrk sends everything from 127.0.0.1,
     * far more than the production default of 1200 a minute allows one address. The limit is still evaluated on
     * every call; only its figure changes.
     */
    private static Map<String, String> benchProxyEnvironment(StackWiring wiring) {
        Map<String, String> environment = new java.util.LinkedHashMap<>(ServiceEnvironment.proxy(wiring));
        environment.put("KEYGATE_IP_REQUESTS", "1000000000");
        environment.put("KEYGATE_MAX_IN_FLIGHT_PER_KEY", "1000");
        environment.put("KEYGATE_MAX_IN_FLIGHT_PER_USER", "1000");
        // Experiments: BENCH_PROXY_<NAME>=<value> sets <NAME> for the proxy, e.g. BENCH_PROXY_KEYGATE_TRACE_SAMPLING=0.
        System.getenv().forEach((name, value) -> {
            if (name.startsWith("BENCH_PROXY_")) {
                environment.put(name.substring("BENCH_PROXY_".length()), value);
            }
        });
        return environment;
    }

    /** The BENCH_PROXY_* experiments of this run, as NAME=value pairs, for the report. */
    private static String proxySettings() {
        return System.getenv().entrySet().stream().filter(entry -> entry.getKey().startsWith("BENCH_PROXY_"))
                .map(entry -> entry.getKey().substring("BENCH_PROXY_".length()) + "=" + entry.getValue()).sorted()
                .collect(java.util.stream.Collectors.joining(" "));
    }

    /** An agent option string as jcmd must get it: one quoted argument, or its '=' would be parsed by jcmd. */
    private static String quoted(String options) {
        return '"' + options + '"';
    }

    /** Runs {@code jcmd <pid> <command…>} with the JDK this harness runs on; false (and a log line) if it fails. */
    private static boolean jcmd(long pid, String... command) throws Exception {
        List<String> line = new ArrayList<>();
        line.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
        line.add(Long.toString(pid));
        line.addAll(List.of(command));
        Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        // jcmd exits 0 even when the command failed; the command's own "return code" or an error line tells.
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0 || output.contains("[ERROR]")
                || output.matches("(?s).*return code: [1-9].*")) {
            log("jcmd " + String.join(" ", command) + " failed: " + output.strip());
            return false;
        }
        return true;
    }

    private ServiceProcess startNginx(int port, int providerPort) throws IOException {
        Path prefix = Files.createDirectories(work.resolve("nginx"));
        Files.createDirectories(prefix.resolve("logs"));
        Files.createDirectories(prefix.resolve("tmp"));
        String config = """
                worker_processes 2;
                pid %1$s/nginx.pid;
                error_log %1$s/logs/error.log warn;
                events { worker_connections 1024; }
                http {
                  access_log off;
                  client_body_temp_path %1$s/tmp/body;
                  proxy_temp_path %1$s/tmp/proxy;
                  fastcgi_temp_path %1$s/tmp/fastcgi;
                  uwsgi_temp_path %1$s/tmp/uwsgi;
                  scgi_temp_path %1$s/tmp/scgi;
                  upstream provider { server 127.0.0.1:%3$d; keepalive 64; }
                  server {
                    listen 127.0.0.1:%2$d;
                    location / {
                      proxy_pass http://provider;
                      proxy_http_version 1.1;
                      proxy_set_header Connection "";
                      proxy_buffering off;
                    }
                  }
                }
                """.formatted(prefix.toAbsolutePath(), port, providerPort);
        Path file = prefix.resolve("nginx.conf");
        Files.writeString(file, config);
        return ServiceProcess.start("nginx", List.of(nginxExecutable(), "-p", prefix.toAbsolutePath() + "/", "-c",
                file.toAbsolutePath().toString(), "-g", "daemon off;"), Map.of(), prefix, work.resolve("nginx.log"));
    }

    private static String nginxExecutable() {
        for (String candidate : List.of("/usr/sbin/nginx", "/usr/bin/nginx")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        throw new IllegalStateException("nginx is missing: apt-get install -y nginx");
    }

    /** Announces a proxy key as admin-service's outbox does: a proxy-key.issued event carrying only its hash. */
    private static String issueProxyKey(String bootstrap, String tenant, String user) throws Exception {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String key = "px_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(key.getBytes(StandardCharsets.UTF_8)));
        UUID keyId = UUID.randomUUID();
        ProxyKeyIssued issued = new ProxyKeyIssued(UUID.randomUUID(), 0, Instant.now(), keyId, tenant, user, hash,
                key.substring(key.length() - 4), List.of(), null, null, null, null,
                // Limits on, as in production, but far above what one load run can send: every call is counted
                // against the key's minute and day windows and never refused.
                new dev.keygate.contracts.admin.v1.ProxyKeyLimits(100_000_000, 1_000_000_000, null), null);
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
            producer.send(new ProducerRecord<>(Topics.ADMIN_PROXY_KEYS, keyId.toString(),
                    JSON.writerFor(ProxyKeyEvent.class).writeValueAsString(issued))).get(30, TimeUnit.SECONDS);
        }
        return key;
    }

    private Path wrkScript(String name, String body) throws IOException {
        StringBuilder script = new StringBuilder();
        script.append("wrk.method = \"POST\"\n");
        script.append("wrk.body = '").append(body).append("'\n");
        script.append("wrk.headers[\"Content-Type\"] = \"application/json\"\n");
        script.append("wrk.headers[\"Authorization\"] = \"Bearer ").append(proxyKey).append("\"\n");
        // Any non-2xx answer is counted by wrk as "Non-2xx or 3xx responses", which the harness refuses.
        Path file = work.resolve(name);
        Files.writeString(file, script.toString());
        return file;
    }

    private Wrk wrk(URI base, Path script, int connections, int seconds) throws Exception {
        URI url = URI.create(base + "/v1/chat/completions");
        List<String> command = List.of("wrk", "-t" + Math.min(2, connections), "-c" + connections, "-d" + seconds + "s",
                "--latency", "--timeout", "10s", "-s", script.toString(), url.toString());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (InputStream in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!process.waitFor(seconds + 60L, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("wrk failed:\n" + output);
        }
        Matcher total = Pattern.compile("(\\d+) requests in").matcher(output);
        Matcher rate = Pattern.compile("Requests/sec:\\s+([0-9.]+)").matcher(output);
        if (!total.find() || !rate.find() || Long.parseLong(total.group(1)) == 0) {
            throw new IllegalStateException("unexpected wrk output:\n" + output);
        }
        // Errors are reported, not fatal: a slow target must still get its figures.
        long errors = 0;
        Matcher non2xx = Pattern.compile("Non-2xx or 3xx responses: (\\d+)").matcher(output);
        if (non2xx.find()) {
            errors += Long.parseLong(non2xx.group(1));
        }
        Matcher socket = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)")
                .matcher(output);
        if (socket.find()) {
            for (int group = 1; group <= 4; group++) {
                errors += Long.parseLong(socket.group(group));
            }
        }
        return new Wrk(Long.parseLong(total.group(1)), Double.parseDouble(rate.group(1)), percentile(output, "50%"),
                percentile(output, "99%"), errors);
    }

    private static double percentile(String output, String label) {
        Matcher matcher = Pattern.compile("\\s" + Pattern.quote(label) + "\\s+([0-9.]+)(us|ms|s)").matcher(output);
        if (!matcher.find()) {
            throw new IllegalStateException("no " + label + " latency in wrk output:\n" + output);
        }
        double value = Double.parseDouble(matcher.group(1));
        return switch (matcher.group(2)) {
            case "us" -> value / 1000;
            case "ms" -> value;
            default -> value * 1000;
        };
    }

    /** Streaming time to first byte: from sending the request to the first {@code data:} line, one call at a time. */
    private static double[] firstByteMillis(URI base, String key, int calls) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI url = URI.create(base + "/v1/chat/completions?delay_ms=2");
        long[] nanos = new long[calls];
        for (int i = -20; i < calls; i++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(url).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(STREAM_BODY));
            if (key != null) {
                request.header("Authorization", "Bearer " + key);
            }
            long start = System.nanoTime();
            HttpResponse<InputStream> response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(),
                    StandardCharsets.UTF_8))) {
                String line;
                long first = -1;
                while ((line = reader.readLine()) != null) {
                    if (first < 0 && line.startsWith("data:")) {
                        first = System.nanoTime() - start;
                    }
                }
                if (response.statusCode() != 200 || first < 0) {
                    throw new IllegalStateException("streaming call to " + url + " answered " + response.statusCode());
                }
                if (i >= 0) {
                    nanos[i] = first;
                }
            }
        }
        Arrays.sort(nanos);
        return new double[] {nanos[calls / 2] / 1e6, nanos[(int) Math.ceil(calls * 0.99) - 1] / 1e6};
    }

    private static double[] resolveMillis(URI keyvault, SSLContext tls, String tenant, String user, int calls)
            throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest request = HttpRequest.newBuilder(keyvault.resolve("/v1/resolve"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"tenantId\":\"" + tenant + "\",\"userId\":\"" + user
                        + "\",\"provider\":\"openai\"}")).build();
        long[] nanos = new long[calls];
        for (int i = -20; i < calls; i++) {
            long start = System.nanoTime();
            HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("keyvault resolve answered " + response.statusCode());
            }
            if (i >= 0) {
                nanos[i] = System.nanoTime() - start;
            }
        }
        Arrays.sort(nanos);
        return new double[] {nanos[calls / 2] / 1e6, nanos[(int) Math.ceil(calls * 0.99) - 1] / 1e6};
    }

    private static int status(URI url, String body, String key) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(url).header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString(body));
            if (key != null) {
                request.header("Authorization", "Bearer " + key);
            }
            return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        }
        catch (IOException ex) {
            return -1;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** utime + stime of a process's JIT compiler threads (C1 and C2), in clock ticks, from {@code /proc}. */
    private static long compilerTicks(long pid) throws IOException {
        long ticks = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (Files.readString(task.resolve("comm")).startsWith("C")
                            && Files.readString(task.resolve("comm")).contains("CompilerThre")) {
                        ticks += cpuTicks(Files.readString(task.resolve("stat")));
                    }
                }
                catch (IOException ex) {
                    // The thread ended meanwhile (compiler threads come and go with the queue).
                }
            }
        }
        return ticks;
    }

    /** utime + stime of a process and its children (nginx's master and workers), in clock ticks, from {@code /proc}. */
    private static double perRequestMicros(long ticks, Cell cell) {
        return cell.result().requests() == 0 ? 0 : ticks * 1e6 / CLOCK_TICKS / cell.result().requests();
    }

    private static long processTreeTicks(long pid) throws IOException {
        long ticks = cpuTicks(pid);
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            for (Path process : processes.filter(path -> path.getFileName().toString().chars()
                    .allMatch(Character::isDigit)).toList()) {
                try {
                    String stat = Files.readString(process.resolve("stat"));
                    // Field 4 (ppid) follows the state, after the command name in parentheses.
                    if (Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]) == pid) {
                        ticks += cpuTicks(stat);
                    }
                }
                catch (IOException ex) {
                    // The process ended meanwhile.
                }
            }
        }
        return ticks;
    }

    /** utime + stime of a process, in clock ticks, from {@code /proc/<pid>/stat}. */
    private static long cpuTicks(long pid) throws IOException {
        return cpuTicks(Files.readString(Path.of("/proc/" + pid + "/stat")));
    }

    private static long cpuTicks(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    private String report(int duration, int warmup, int soakSeconds, List<Cell> cells, Map<String, double[]> ttfb, List<long[]> soak, long rssKiB,
                          String spoolFiles) {
        StringBuilder out = new StringBuilder();
        out.append("# proxy load run: direct vs nginx vs a bare Reactor Netty proxy vs Keygate\n\n");
        out.append(String.format(Locale.ROOT, "%s · %d cores (%s) · Java %s · wrk %s · nginx %s%n%n", Instant.now(),
                Runtime.getRuntime().availableProcessors(), cpuModel(), System.getProperty("java.version"),
                commandVersion(List.of("wrk", "-v")), commandVersion(List.of(nginxExecutable(), "-v"))));
        out.append("Command: `bench/proxy.sh --duration=").append(duration).append(" --warmup=").append(warmup)
                .append(soakSeconds > 0 ? " --soak=" + soakSeconds : "")
                .append("`. Warm-up first, not measured: ").append(warmupSummary).append(". Then every cell runs ")
                .append(duration).append(" s of wrk (`-t1` at 1 connection, `-t2` at 32) against one target; targets "
                        + "alternate cell by cell, all on one 2-core machine shared with wrk, the provider and the "
                        + "other processes. Keygate: proxy-service `")
                .append(String.join(" ", KeygateService.PROXY.jvmOptions()))
                .append("`, px_ key authentication, per-key and per-address limits with X-RateLimit headers, "
                        + "provider key from keyvault over mTLS through the lease cache, usage metered from the body "
                        + "or stream and one UsageRecorded per call sent to a local Kafka broker")
                .append(proxySettings().isEmpty() ? "" : "; proxy settings from BENCH_PROXY_*: `" + proxySettings() + "`")
                .append(System.getenv("KEYGATE_BENCH_JFR") == null ? "" : "; **flight recording on during the "
                        + "cells (figures include its overhead)**")
                .append(". Requests: `POST /v1/chat/completions`, JSON (≈420 B answer) or SSE "
                        + "(8 content chunks, a usage chunk and [DONE], each flushed).\n\n");
        out.append("| mode | conns | target | req/s | × direct | p50 ms | p99 ms | + p50 ms | + p99 ms | errors |\n");
        out.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (Cell cell : cells) {
            Cell direct = cells.stream().filter(c -> c.mode().equals(cell.mode()) && c.connections() == cell.connections()
                    && c.target().equals("direct")).findFirst().orElseThrow();
            out.append(String.format(Locale.ROOT, "| %s | %d | %s | %.0f | %.2f | %.3f | %.3f | %s | %s | %d |%n",
                    cell.mode(), cell.connections(), cell.target(), cell.result().requestsPerSecond(),
                    cell.result().requestsPerSecond() / direct.result().requestsPerSecond(), cell.result().p50Ms(),
                    cell.result().p99Ms(), cell == direct ? "—" : String.format(Locale.ROOT, "%+.3f",
                            cell.result().p50Ms() - direct.result().p50Ms()),
                    cell == direct ? "—" : String.format(Locale.ROOT, "%+.3f",
                            cell.result().p99Ms() - direct.result().p99Ms()), cell.result().errors()));
        }
        out.append("\n## CPU per proxied request (from /proc/<pid>/stat, utime+stime)\n\n");
        out.append("| mode | conns | requests | proxy-service µs/request | of which JIT compiler threads | "
                + "keyvault-service µs/request | proxy RSS after the cell |\n|---|---|---|---|---|---|---|\n");
        for (Cell cell : cells) {
            if (cell.proxyTicks() >= 0) {
                out.append(String.format(Locale.ROOT, "| %s | %d | %d | %.0f | %.0f | %.0f | %d MiB |%n", cell.mode(),
                        cell.connections(), cell.result().requests(),
                        cell.proxyTicks() * 1e6 / CLOCK_TICKS / cell.result().requests(),
                        cell.jitTicks() * 1e6 / CLOCK_TICKS / cell.result().requests(),
                        cell.vaultTicks() * 1e6 / CLOCK_TICKS / cell.result().requests(), cell.rssKiB() / 1024));
            }
        }
        out.append("\nThe same figure for nginx (master and worker processes), for the bare Reactor Netty proxy "
                + "(`NettyFloorProxy`: Keygate's HTTP stack without Spring, forwarding with a key swap and a flush per "
                + "chunk, no authentication, limits, metering or usage events) and for the fake provider, as "
                + "yardsticks measured in the same cells (the provider answers every target's calls; its CPU is not "
                + "the proxy's):\n\n| mode | conns | nginx µs/request | bare Reactor Netty µs/request | provider "
                + "µs/request (direct cell) | provider µs/request (keygate cell) |\n|---|---|---|---|---|---|\n");
        for (String mode : List.of("json", "stream")) {
            for (int connections : List.of(1, 32)) {
                Map<String, Cell> byTarget = new LinkedHashMap<>();
                cells.stream().filter(cell -> cell.mode().equals(mode) && cell.connections() == connections)
                        .forEach(cell -> byTarget.put(cell.target(), cell));
                Cell nginxCell = byTarget.get("nginx");
                Cell directCell = byTarget.get("direct");
                Cell keygateCell = byTarget.get("keygate");
                Cell floorCell = byTarget.get("netty-floor");
                out.append(String.format(Locale.ROOT, "| %s | %d | %.0f | %.0f | %.0f | %.0f |%n", mode, connections,
                        perRequestMicros(nginxCell.nginxTicks(), nginxCell), perRequestMicros(floorCell.floorTicks(),
                                floorCell), perRequestMicros(
                                directCell.providerTicks(), directCell), perRequestMicros(keygateCell.providerTicks(),
                                keygateCell)));
            }
        }
        out.append("\n## Streaming time to first byte (one call at a time, 300 calls, first `data:` line)\n\n");
        out.append("| target | p50 ms | p99 ms | + p50 ms vs direct | + p99 ms vs direct |\n|---|---|---|---|---|\n");
        double[] direct = ttfb.get("direct");
        for (Map.Entry<String, double[]> entry : ttfb.entrySet()) {
            double[] value = entry.getValue();
            out.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %s | %s |%n", entry.getKey(), value[0],
                    value[1], value == direct ? "—" : String.format(Locale.ROOT, "%+.3f", value[0] - direct[0]),
                    value == direct ? "—" : String.format(Locale.ROOT, "%+.3f", value[1] - direct[1])));
        }
        out.append(String.format(Locale.ROOT, "%nIdle proxy (no calls, %d s measured after a 5 s pause that follows "
                + "the measurements above): %.1f ms CPU per second.%n", IDLE_SECONDS, idleMillisPerSecond));
        out.append(String.format(Locale.ROOT, "%nProxy RSS at the end: %d MiB. Usage spool segment files left on "
                + "disk: %s (0 = every usage event reached Kafka directly or was drained).%n", rssKiB / 1024,
                spoolFiles));
        if (!soak.isEmpty()) {
            out.append("\n## Soak: Keygate, JSON, 32 connections\n\n| seconds | proxy RSS MiB |\n|---|---|\n");
            for (long[] sample : soak) {
                out.append(String.format(Locale.ROOT, "| %d | %d |%n", sample[0], sample[1] / 1024));
            }
        }
        out.append(String.format(Locale.ROOT, "%nLoad average during the run (1/5/15 min, at the end): %s — the "
                + "machine is shared; figures from a busy machine are pessimistic for every target, most for the "
                + "JVMs that need CPU to warm up.%n", loadAverage()));
        out.append(notes);
        return out.toString();
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " / " + fields[1] + " / " + fields[2];
        }
        catch (IOException ex) {
            return "unknown";
        }
    }

    private static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(line -> line.startsWith("model name")).findFirst()
                    .map(line -> line.substring(line.indexOf(':') + 1).trim()).orElse("unknown CPU");
        }
        catch (IOException ex) {
            return "unknown CPU";
        }
    }

    private static String commandVersion(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor(10, TimeUnit.SECONDS);
            Matcher version = Pattern.compile("(\\d+\\.\\d+\\.\\d+)").matcher(output);
            return version.find() ? version.group(1) : "?";
        }
        catch (IOException ex) {
            return "?";
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    private void stopAll() {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            }
            catch (Exception ex) {
                System.err.println("could not stop " + started.get(i) + ": " + ex);
            }
        }
        LocalPostgres.shared().close();
    }

    private static void log(String message) {
        System.out.println("[proxy-bench] " + message);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    private static void deleteTree(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> all = Files.walk(path)) {
            for (Path each : all.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(each);
            }
        }
    }

    private record Wrk(long requests, double requestsPerSecond, double p50Ms, double p99Ms, long errors) {
    }

    private record Cell(String mode, int connections, String target, Wrk result, long proxyTicks, long vaultTicks,
                        long rssKiB, long jitTicks, long nginxTicks, long floorTicks, long providerTicks) {
    }
}
