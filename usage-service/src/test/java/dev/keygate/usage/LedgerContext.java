package dev.keygate.usage;

import dev.keygate.testkit.LocalPostgres;
import dev.keygate.testkit.ServiceDatabase;
import dev.keygate.testkit.TestKafka;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The one application context the MockMvc integration tests share: a real Kafka broker and the real PostgreSQL
 * database {@code usage}. Extend it rather than declaring another context: every context in the JVM consumes the
 * usage topic in the same consumer group, so a second one on another database would take events away from this one.
 */
@SpringBootTest
@AutoConfigureMockMvc
public abstract class LedgerContext {

    private static ServiceDatabase database;

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) {
        ledgerServers(registry);
    }

    /** The ledger's database and Kafka; for a context of another kind (real port, real Keycloak) in the same JVM. */
    public static void ledgerServers(DynamicPropertyRegistry registry) {
        ServiceDatabase database = database();
        registry.add("spring.datasource.url", database::jdbcUrl);
        registry.add("spring.datasource.username", database::username);
        registry.add("spring.datasource.password", database::password);
        registry.add("spring.kafka.bootstrap-servers", TestKafka::bootstrapServers);
        registry.add("keygate.usage.budgets.alert-webhook", () -> AlertWebhookReceiver.get().url());
    }

    /**
     * Once per JVM: creating it again sets a new password on the role, and a context still running (and consuming)
     * with the old one could then open no new connection.
     */
    private static synchronized ServiceDatabase database() {
        if (database == null) {
            database = LocalPostgres.shared().database("usage", false);
        }
        return database;
    }
}
