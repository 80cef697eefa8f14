package dev.keygate.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
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

    final LocalPostgres postgres = LocalPostgres.shared();
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
        return ServiceProcess.startJar("usage-service", KeygateService.USAGE.executableJar(root, "0.1.0-SNAPSHOT"),
                KeygateService.USAGE.jvmOptions(), environment, work, work.resolve("usage-service.log"));
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
