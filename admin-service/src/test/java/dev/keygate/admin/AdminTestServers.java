package dev.keygate.admin;

import dev.keygate.testkit.LocalPki;
import dev.keygate.testkit.LocalPostgres;
import dev.keygate.testkit.ServiceCertificate;
import dev.keygate.testkit.ServiceDatabase;
import dev.keygate.testkit.TestKafka;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * What every admin-service integration test wires the same way: its own PostgreSQL database (with logical
 * replication for the outbox relay), the shared Kafka broker, and admin-service's mTLS identity for keyvault.
 */
public final class AdminTestServers {

    private AdminTestServers() {
    }

    /** Registers the shared servers; {@code database} separates tests whose contexts may run side by side. */
    public static void register(DynamicPropertyRegistry registry, String database) {
        ServiceDatabase db = LocalPostgres.shared().database(database, true);
        ServiceCertificate admin = LocalPki.shared().issue("admin-service");
        registry.add("spring.datasource.url", db::jdbcUrl);
        registry.add("spring.datasource.username", db::username);
        registry.add("spring.datasource.password", db::password);
        registry.add("spring.kafka.bootstrap-servers", TestKafka::bootstrapServers);
        registry.add("spring.ssl.bundle.pem.keyvault-client.keystore.certificate", () -> "file:" + admin.certificate());
        registry.add("spring.ssl.bundle.pem.keyvault-client.keystore.private-key", () -> "file:" + admin.privateKey());
        registry.add("spring.ssl.bundle.pem.keyvault-client.truststore.certificate", () -> "file:" + admin.caCertificate());
    }
}
