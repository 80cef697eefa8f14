package dev.keygate.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.keygate.testkit.ServiceCertificate;
import dev.keygate.testkit.ServiceDatabase;

class ServiceEnvironmentTest {

    private static final Path PKI = Path.of("/stack/pki");
    private static final StackSecrets SECRETS = new StackSecrets("kv-db-secret", "admin-db-secret", "usage-db-secret",
            "kc-db-secret", "admin-client-secret", "demo-secret", "kc-admin-secret");

    private final StackWiring wiring = wiring(StackPorts.defaults());

    @Test
    void keyvaultGetsItsDatabaseCertificateMasterKeyFileAndTheProvidersToCheckKeysWith() {
        assertThat(ServiceEnvironment.keyvault(wiring)).containsExactlyInAnyOrderEntriesOf(Map.ofEntries(
                Map.entry("KEYGATE_PROVIDER_OPENAI_URL", "http://127.0.0.1:18090"),
                Map.entry("KEYGATE_PROVIDER_ANTHROPIC_URL", "http://127.0.0.1:18090"),
                Map.entry("KEYVAULT_PORT", "8443"),
                Map.entry("KEYVAULT_MANAGEMENT_PORT", "8444"),
                Map.entry("KEYVAULT_DB_URL", "jdbc:postgresql://127.0.0.1:15432/keyvault"),
                Map.entry("KEYVAULT_DB_USER", "keyvault"),
                Map.entry("KEYVAULT_DB_PASSWORD", "kv-db-secret"),
                Map.entry("KEYGATE_TLS_CERT", "file:/stack/pki/keyvault-service.crt.pem"),
                Map.entry("KEYGATE_TLS_KEY", "file:/stack/pki/keyvault-service.key.pem"),
                Map.entry("KEYGATE_TLS_CA", "file:/stack/pki/ca.crt.pem"),
                Map.entry("KEYGATE_MASTER_KEY_FILE", "/stack/keyvault/master-keys")));
    }

    @Test
    void adminGetsItsDatabaseKafkaKeycloakKeyvaultAndTheClientSecret() {
        Map<String, String> env = ServiceEnvironment.admin(wiring);

        assertThat(env).containsEntry("ADMIN_PORT", "8081")
                .containsEntry("ADMIN_DB_URL", "jdbc:postgresql://127.0.0.1:15432/admin")
                .containsEntry("ADMIN_DB_USER", "admin")
                .containsEntry("ADMIN_DB_PASSWORD", "admin-db-secret")
                .containsEntry("KAFKA_BOOTSTRAP", "127.0.0.1:19092")
                .containsEntry("KEYGATE_OIDC_ISSUER", "http://127.0.0.1:18080/realms/keygate")
                .containsEntry("KEYGATE_KEYVAULT_URL", "https://127.0.0.1:8443")
                .containsEntry("KEYGATE_TLS_CERT", "file:/stack/pki/admin-service.crt.pem")
                .containsEntry("KEYGATE_TLS_KEY", "file:/stack/pki/admin-service.key.pem")
                .containsEntry("KEYGATE_TLS_CA", "file:/stack/pki/ca.crt.pem")
                .containsEntry("KEYGATE_ADMIN_CLIENT_SECRET", "admin-client-secret");
        assertThat(env.values()).doesNotContain("kv-db-secret", "usage-db-secret", "kc-db-secret", "demo-secret");
    }

    @Test
    void usageGetsItsDatabaseKafkaAndKeycloakOnly() {
        assertThat(ServiceEnvironment.usage(wiring)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "USAGE_PORT", "8083",
                "USAGE_DB_URL", "jdbc:postgresql://127.0.0.1:15432/usage",
                "USAGE_DB_USER", "usage",
                "USAGE_DB_PASSWORD", "usage-db-secret",
                "KAFKA_BOOTSTRAP", "127.0.0.1:19092",
                "KAFKA_REPLICATION_FACTOR", "1",
                "KEYGATE_OIDC_ISSUER", "http://127.0.0.1:18080/realms/keygate"));
    }

    @Test
    void proxyGetsNoDatabaseButKeyvaultItsCertificateAndTheProviders() {
        Map<String, String> env = ServiceEnvironment.proxy(wiring);

        assertThat(env).containsEntry("PROXY_PORT", "8080")
                .containsEntry("KAFKA_BOOTSTRAP", "127.0.0.1:19092")
                .containsEntry("KEYGATE_OIDC_ISSUER", "http://127.0.0.1:18080/realms/keygate")
                .containsEntry("KEYGATE_KEYVAULT_URL", "https://127.0.0.1:8443")
                .containsEntry("KEYGATE_TLS_CERT", "file:/stack/pki/proxy-service.crt.pem")
                .containsEntry("KEYGATE_TLS_KEY", "file:/stack/pki/proxy-service.key.pem")
                .containsEntry("KEYGATE_REGION", "local")
                .containsEntry("KEYGATE_PROVIDER_OPENAI_URL", "http://127.0.0.1:18090")
                .containsEntry("KEYGATE_PROVIDER_ANTHROPIC_URL", "http://127.0.0.1:18090");
        assertThat(env.keySet()).noneMatch(name -> name.contains("_DB_"));
        assertThat(env.values()).doesNotContainAnyElementsOf(SECRETS.values());
    }

    @Test
    void followsThePortsItIsGiven() {
        StackPorts free = new StackPorts(41001, 41002, 41003, 41004, 41005, 41006, 41007, 41008, 41009, 41010, 41011);

        StackWiring other = wiring(free);

        assertThat(ServiceEnvironment.keyvault(other)).containsEntry("KEYVAULT_PORT", "41007")
                .containsEntry("KEYVAULT_MANAGEMENT_PORT", "41008");
        assertThat(ServiceEnvironment.admin(other)).containsEntry("ADMIN_PORT", "41009")
                .containsEntry("KEYGATE_KEYVAULT_URL", "https://127.0.0.1:41007");
        assertThat(ServiceEnvironment.usage(other)).containsEntry("USAGE_PORT", "41010");
        assertThat(ServiceEnvironment.proxy(other)).containsEntry("PROXY_PORT", "41011");
        assertThat(KeygateService.KEYVAULT.healthUrl(free)).isEqualTo(URI.create("http://127.0.0.1:41008/actuator/health"));
        assertThat(KeygateService.PROXY.healthUrl(free)).isEqualTo(URI.create("http://127.0.0.1:41011/actuator/health"));
    }

    @ParameterizedTest
    @EnumSource(KeygateService.class)
    void noSecretEndsUpOnTheCommandLineOfAService(KeygateService service) {
        Map<String, String> env = ServiceEnvironment.of(service, wiring);
        List<String> command = ServiceProcess.jarCommand(service.executableJar(Path.of("/repo"), "0.1.0-SNAPSHOT"),
                service.jvmOptions());

        assertThat(command).last().isEqualTo("/repo/" + service.module() + "/target/" + service.module()
                + "-0.1.0-SNAPSHOT-exec.jar");
        for (String secret : SECRETS.values()) {
            assertThat(command).noneMatch(argument -> argument.contains(secret));
        }
        assertThat(env.toString()).doesNotContain("demo-secret", "kc-admin-secret", "kc-db-secret");
    }

    @Test
    void keycloakGetsItsPasswordsThroughTheEnvironmentOnly() {
        KeycloakProcess.Settings settings = new KeycloakProcess.Settings(Path.of("/stack/keycloak"), 18080, 18081,
                new ServiceDatabase("keycloak", "jdbc:postgresql://127.0.0.1:15432/keycloak", "keycloak",
                        SECRETS.keycloakDbPassword(), false),
                SECRETS.adminClientSecret(), SECRETS.demoPassword(), SECRETS.keycloakBootstrapAdminPassword(),
                Path.of("/stack/logs/keycloak.log"));

        List<String> command = KeycloakProcess.command(Path.of("/stack/keycloak/keycloak-26.7.3"), settings);
        Map<String, String> env = KeycloakProcess.environment(settings);

        assertThat(command).contains("start-dev", "--import-realm", "--db=postgres", "--http-host=127.0.0.1",
                "--hostname=http://127.0.0.1:18080", "--http-management-port=18081",
                "--db-url=jdbc:postgresql://127.0.0.1:15432/keycloak", "--db-username=keycloak");
        for (String secret : SECRETS.values()) {
            assertThat(command).noneMatch(argument -> argument.contains(secret));
        }
        assertThat(env).containsEntry("KC_DB_PASSWORD", "kc-db-secret")
                .containsEntry("KC_BOOTSTRAP_ADMIN_USERNAME", "admin")
                .containsEntry("KC_BOOTSTRAP_ADMIN_PASSWORD", "kc-admin-secret")
                .containsEntry("KEYGATE_ADMIN_CLIENT_SECRET", "admin-client-secret")
                .containsEntry("KEYGATE_DEMO_PASSWORD", "demo-secret");
    }

    @Test
    void failsClearlyWhenTheWiringLacksACertificate() {
        StackWiring withoutCertificates = new StackWiring(StackPorts.defaults(), wiring.keyvaultDatabase(),
                wiring.adminDatabase(), wiring.usageDatabase(), wiring.kafkaBootstrap(), wiring.oidcIssuer(),
                wiring.adminClientSecret(), wiring.masterKeyFile(), Map.of(), wiring.openAiUrl(),
                wiring.anthropicUrl());

        assertThatThrownBy(() -> ServiceEnvironment.proxy(withoutCertificates))
                .hasMessageContaining("proxy-service");
    }

    @Test
    void hidesSecretsInToString() {
        assertThat(wiring.toString()).doesNotContain(SECRETS.values().toArray(String[]::new));
    }

    private static StackWiring wiring(StackPorts ports) {
        Map<KeygateService, ServiceCertificate> certificates = new EnumMap<>(KeygateService.class);
        for (KeygateService service : KeygateService.values()) {
            certificates.put(service, new ServiceCertificate("spiffe://keygate/" + service.module(),
                    PKI.resolve(service.module() + ".crt.pem"), PKI.resolve(service.module() + ".key.pem"),
                    PKI.resolve("ca.crt.pem")));
        }
        String jdbc = "jdbc:postgresql://127.0.0.1:" + ports.postgres() + "/";
        return new StackWiring(ports,
                new ServiceDatabase("keyvault", jdbc + "keyvault", "keyvault", SECRETS.keyvaultDbPassword(), false),
                new ServiceDatabase("admin", jdbc + "admin", "admin", SECRETS.adminDbPassword(), true),
                new ServiceDatabase("usage", jdbc + "usage", "usage", SECRETS.usageDbPassword(), false),
                "127.0.0.1:" + ports.kafka(), "http://127.0.0.1:" + ports.keycloak() + "/realms/keygate",
                SECRETS.adminClientSecret(), Path.of("/stack/keyvault/master-keys"), certificates,
                URI.create("http://127.0.0.1:" + ports.fakeProvider()),
                URI.create("http://127.0.0.1:" + ports.fakeProvider()));
    }

    @Test
    void handsTheDevelopersOwnProviderKeysToAdminServiceForImportOnlyWhenThereAreAny() {
        assertThat(ServiceEnvironment.localKeyImport(Map.of("PATH", "/bin"), "acme")).isEmpty();
        assertThat(ServiceEnvironment.localKeyImport(Map.of("OPENAI_API_KEY", "sk-x", "HOME", "/root"), "acme"))
                .containsExactly(Map.entry("OPENAI_API_KEY", "sk-x"), Map.entry("KEYGATE_LOCAL_IMPORT_TENANT", "acme"));
    }
}
