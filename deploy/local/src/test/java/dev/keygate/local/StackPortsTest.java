package dev.keygate.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StackPortsTest {

    @Test
    void defaultsAreTheDocumentedPorts() {
        assertThat(StackPorts.defaults().byName()).containsExactly(
                entry("postgresql", 15432), entry("kafka", 19092), entry("kafka-controller", 19093),
                entry("keycloak", 18080), entry("keycloak-management", 18081), entry("fake-llm-provider", 18090),
                entry("keyvault-service", 8443), entry("keyvault-service-management", 8444),
                entry("admin-service", 8081), entry("usage-service", 8083), entry("proxy-service", 8080));
    }

    @Test
    void refusesAPortUsedTwice() {
        assertThatThrownBy(() -> new StackPorts(15432, 19092, 19093, 18080, 18081, 18090, 8443, 8444, 8081, 8081, 8080))
                .hasMessageContaining("8081");
    }

    private static java.util.Map.Entry<String, Integer> entry(String name, int port) {
        return java.util.Map.entry(name, port);
    }
}
