package dev.keygate.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.keygate.local.KeygateService;
import dev.keygate.local.ServiceEnvironment;
import dev.keygate.local.ServiceProcess;
import dev.keygate.local.StackPorts;
import dev.keygate.local.StackWiring;
import dev.keygate.testkit.LocalPostgres;
import dev.keygate.testkit.ServiceDatabase;
import dev.keygate.testkit.TestKafka;

/**
 * usage-service alone on loopback, as the usage benchmarks run it: PostgreSQL 17 with its database, the in-process
 * Kafka broker, a free port, and its runnable jar with its production settings.
 */
final class LoopbackUsageService {

    /** Durable commits, as usage-service's exactly-once ledger needs them (see {@link LocalPostgres}). */
    final LocalPostgres postgres = LocalPostgres.durable();
    final ServiceDatabase database = postgres.database("usage", false);
    final String kafka = TestKafka.bootstrapServers();
    final StackPorts ports;

    LoopbackUsageService() throws IOException {
        ports = new StackPorts(postgres.port(), 1, 2, 3, 4, 5, 6, 7, 8, BenchHost.freePort(), 9);
    }

    /** The service's environment with {@code issuer} as its OIDC issuer; the other services' addresses are unused. */
    Map<String, String> environment(String issuer, Path work) {
        return ServiceEnvironment.usage(new StackWiring(ports, null, null, database, kafka, issuer, "unused",
                work.resolve("unused"), Map.of(), URI.create("http://127.0.0.1:5"), URI.create("http://127.0.0.1:5")));
    }

    ServiceProcess start(Path root, Path work, Map<String, String> environment) {
        List<String> jvmOptions = new ArrayList<>(KeygateService.USAGE.jvmOptions());
        // async-profiler from the JVM's start (tools.profiler:async-profiler, its linux-x64/libasyncProfiler.so), per
        // thread: KEYGATE_BENCH_ASPROF=<lib>, KEYGATE_BENCH_ASPROF_FILE=<out.collapsed>,
        // KEYGATE_BENCH_ASPROF_START=<event and interval, e.g. start,event=wall,interval=2ms>.
        String asprof = System.getenv("KEYGATE_BENCH_ASPROF");
        if (asprof != null && !asprof.isBlank()) {
            jvmOptions.add("-agentpath:" + Path.of(asprof).toAbsolutePath() + "="
                    + System.getenv().getOrDefault("KEYGATE_BENCH_ASPROF_START", "start,event=itimer,interval=1ms")
                    + ",threads,collapsed,file=" + System.getenv().getOrDefault("KEYGATE_BENCH_ASPROF_FILE",
                    work.resolve("usage.collapsed").toString()));
        }
        // Settings to compare without a rebuild: KEYGATE_BENCH_USAGE_ENV=NAME=value,NAME=value (e.g.
        // KEYGATE_USAGE_LEDGER_CONSUMERS=1) is added to the service's environment.
        Map<String, String> withOverrides = new HashMap<>(environment);
        for (String setting : System.getenv().getOrDefault("KEYGATE_BENCH_USAGE_ENV", "").split(",")) {
            int equals = setting.indexOf('=');
            if (equals > 0) {
                withOverrides.put(setting.substring(0, equals), setting.substring(equals + 1));
            }
        }
        return ServiceProcess.startJar("usage-service", KeygateService.USAGE.executableJar(root, "0.1.0-SNAPSHOT"),
                jvmOptions, withOverrides, work, work.resolve("usage-service.log"));
    }

    void awaitHealthy(ServiceProcess service, Duration timeout) {
        service.awaitHealthy(KeygateService.USAGE.healthUrl(ports), timeout);
    }

    URI baseUrl() {
        return URI.create("http://127.0.0.1:" + ports.usage());
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(database.jdbcUrl(), database.username(), database.password());
    }
}
