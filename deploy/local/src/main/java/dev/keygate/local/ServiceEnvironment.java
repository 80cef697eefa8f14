package dev.keygate.local;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import dev.keygate.testkit.ServiceCertificate;
import dev.keygate.testkit.ServiceDatabase;

/**
 * The environment each service is started with, in one place for the one-machine stack and the end-to-end tests.
 * Secrets travel only in the environment, never on a command line, where any local user could read them from
 * {@code ps}. Names match the services' {@code application.yml} placeholders.
 */
public final class ServiceEnvironment {

    private ServiceEnvironment() {
    }

    /** The environment of {@code service}. */
    public static Map<String, String> of(KeygateService service, StackWiring wiring) {
        return switch (service) {
            case KEYVAULT -> keyvault(wiring);
            case ADMIN -> admin(wiring);
            case USAGE -> usage(wiring);
            case PROXY -> proxy(wiring);
        };
    }

    /** keyvault-service: its database, its server certificate, the master key file and the providers to check keys with. */
    public static Map<String, String> keyvault(StackWiring wiring) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("KEYVAULT_PORT", port(wiring.ports().keyvault()));
        env.put("KEYVAULT_MANAGEMENT_PORT", port(wiring.ports().keyvaultManagement()));
        database(env, "KEYVAULT", required(wiring.keyvaultDatabase(), "keyvault database"));
        tls(env, wiring.certificate(KeygateService.KEYVAULT));
        env.put("KEYGATE_MASTER_KEY_FILE", absolute(required(wiring.masterKeyFile(), "master key file")));
        // Where key checks ask the providers whether a stored key works.
        env.put("KEYGATE_PROVIDER_OPENAI_URL", wiring.openAiUrl().toString());
        env.put("KEYGATE_PROVIDER_ANTHROPIC_URL", wiring.anthropicUrl().toString());
        return Collections.unmodifiableMap(env);
    }

    /** admin-service: its database (with logical replication for the outbox relay), Kafka, Keycloak, keyvault. */
    public static Map<String, String> admin(StackWiring wiring) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("ADMIN_PORT", port(wiring.ports().admin()));
        database(env, "ADMIN", required(wiring.adminDatabase(), "admin database"));
        kafka(env, wiring);
        env.put("KEYGATE_OIDC_ISSUER", wiring.oidcIssuer());
        env.put("KEYGATE_KEYVAULT_URL", KeygateService.KEYVAULT.baseUrl(wiring.ports()).toString());
        tls(env, wiring.certificate(KeygateService.ADMIN));
        env.put("KEYGATE_ADMIN_CLIENT_SECRET", required(wiring.adminClientSecret(), "admin client secret"));
        // On one machine the fake provider and self-hosted models live on loopback; production leaves this empty.
        env.put("KEYGATE_CATALOG_ALLOWED_PRIVATE_HOSTS", "127.0.0.1");
        return Collections.unmodifiableMap(env);
    }

    /** usage-service: its database, Kafka and Keycloak. */
    public static Map<String, String> usage(StackWiring wiring) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("USAGE_PORT", port(wiring.ports().usage()));
        database(env, "USAGE", required(wiring.usageDatabase(), "usage database"));
        kafka(env, wiring);
        env.put("KEYGATE_OIDC_ISSUER", wiring.oidcIssuer());
        return Collections.unmodifiableMap(env);
    }

    /** proxy-service: Kafka, Keycloak, keyvault over mutual TLS and the providers' base URLs. No database. */
    public static Map<String, String> proxy(StackWiring wiring) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PROXY_PORT", port(wiring.ports().proxy()));
        kafka(env, wiring);
        env.put("KEYGATE_OIDC_ISSUER", wiring.oidcIssuer());
        env.put("KEYGATE_KEYVAULT_URL", KeygateService.KEYVAULT.baseUrl(wiring.ports()).toString());
        tls(env, wiring.certificate(KeygateService.PROXY));
        env.put("KEYGATE_REGION", "local");
        env.put("KEYGATE_PROVIDER_OPENAI_URL", wiring.openAiUrl().toString());
        env.put("KEYGATE_PROVIDER_ANTHROPIC_URL", wiring.anthropicUrl().toString());
        return Collections.unmodifiableMap(env);
    }

    /**
     * Provider keys the developer already has in their environment ({@code OPENAI_API_KEY}, …), handed to
     * admin-service to import as organisation keys of {@code tenant}, as seed 004's local development does. Empty when
     * there are none. The values travel in the environment only, never on a command line or in a log.
     */
    public static Map<String, String> localKeyImport(Map<String, String> launcherEnvironment, String tenant) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String name : List.of("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "XAI_API_KEY",
                "BRAVE_API_KEY", "E2B_API_KEY")) {
            String value = launcherEnvironment.get(name);
            if (value != null && !value.isBlank()) {
                env.put(name, value);
            }
        }
        if (!env.isEmpty()) {
            env.put("KEYGATE_LOCAL_IMPORT_TENANT", tenant);
        }
        return Collections.unmodifiableMap(env);
    }

    private static void database(Map<String, String> env, String prefix, ServiceDatabase database) {
        env.put(prefix + "_DB_URL", database.jdbcUrl());
        env.put(prefix + "_DB_USER", database.username());
        env.put(prefix + "_DB_PASSWORD", database.password());
    }

    private static void kafka(Map<String, String> env, StackWiring wiring) {
        env.put("KAFKA_BOOTSTRAP", wiring.kafkaBootstrap());
        env.put("KAFKA_REPLICATION_FACTOR", "1");
    }

    /** PEM files as Spring resource locations ({@code file:<absolute path>}). */
    private static void tls(Map<String, String> env, ServiceCertificate certificate) {
        env.put("KEYGATE_TLS_CERT", "file:" + absolute(certificate.certificate()));
        env.put("KEYGATE_TLS_KEY", "file:" + absolute(certificate.privateKey()));
        env.put("KEYGATE_TLS_CA", "file:" + absolute(certificate.caCertificate()));
    }

    private static String port(int port) {
        return Integer.toString(port);
    }

    private static String absolute(Path path) {
        return path.toAbsolutePath().normalize().toString();
    }

    private static <T> T required(T value, String what) {
        return Objects.requireNonNull(value, () -> "the stack wiring has no " + what);
    }
}
