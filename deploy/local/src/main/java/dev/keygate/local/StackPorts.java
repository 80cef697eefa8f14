package dev.keygate.local;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The loopback ports of one stack. {@link #defaults()} are the fixed ports of the one-machine stack; integration
 * tests pass free ports instead. Every port must be distinct.
 *
 * <pre>
 * PostgreSQL 15432   Kafka 19092 (controller 19093)   Keycloak 18080 (management 18081)   fake LLM provider 18090
 * keyvault-service 8443 (mutual TLS; health on 8444)   admin-service 8081   usage-service 8083   proxy-service 8080
 * </pre>
 */
public record StackPorts(int postgres, int kafka, int kafkaController, int keycloak, int keycloakManagement,
                         int fakeProvider, int keyvault, int keyvaultManagement, int admin, int usage, int proxy) {

    public StackPorts {
        Map<String, Integer> all = named(postgres, kafka, kafkaController, keycloak, keycloakManagement, fakeProvider,
                keyvault, keyvaultManagement, admin, usage, proxy);
        Set<Integer> seen = new HashSet<>();
        all.forEach((name, port) -> {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException(name + " port " + port + " is not a TCP port");
            }
            if (!seen.add(port)) {
                throw new IllegalArgumentException(name + " port " + port + " is used twice");
            }
        });
    }

    /** The one-machine stack's ports, as listed above. */
    public static StackPorts defaults() {
        return new StackPorts(15432, 19092, 19093, 18080, 18081, 18090, 8443, 8444, 8081, 8083, 8080);
    }

    /** Every port by the name of what listens on it, in start order. */
    public Map<String, Integer> byName() {
        return named(postgres, kafka, kafkaController, keycloak, keycloakManagement, fakeProvider, keyvault,
                keyvaultManagement, admin, usage, proxy);
    }

    private static Map<String, Integer> named(int postgres, int kafka, int kafkaController, int keycloak,
                                              int keycloakManagement, int fakeProvider, int keyvault,
                                              int keyvaultManagement, int admin, int usage, int proxy) {
        Map<String, Integer> ports = new LinkedHashMap<>();
        ports.put("postgresql", postgres);
        ports.put("kafka", kafka);
        ports.put("kafka-controller", kafkaController);
        ports.put("keycloak", keycloak);
        ports.put("keycloak-management", keycloakManagement);
        ports.put("fake-llm-provider", fakeProvider);
        ports.put("keyvault-service", keyvault);
        ports.put("keyvault-service-management", keyvaultManagement);
        ports.put("admin-service", admin);
        ports.put("usage-service", usage);
        ports.put("proxy-service", proxy);
        return ports;
    }
}
