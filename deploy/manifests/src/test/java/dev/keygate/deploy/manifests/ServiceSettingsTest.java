package dev.keygate.deploy.manifests;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A setting whose default in a service's application.yml only works on one machine (an empty secret, a 127.0.0.1
 * address, a relative certificate path) must be set by docker-compose and by every Kubernetes rendering, or the
 * container starts pointing at itself.
 */
class ServiceSettingsTest {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*):([^}]*)}");
    /** Optional on purpose: alternatives, local development only, or covered by the container profile. */
    private static final Set<String> OPTIONAL = Set.of("KEYGATE_MASTER_KEYS", "KEYGATE_LOCAL_IMPORT_TENANT",
            "KEYVAULT_ADDRESS", "KEYVAULT_MANAGEMENT_ADDRESS", "ADMIN_ADDRESS", "USAGE_ADDRESS", "PROXY_ADDRESS",
            "KEYGATE_CATALOG_ALLOWED_PRIVATE_HOSTS");

    static Stream<Arguments> services() {
        return Stream.of(Arguments.of("keyvault-service", List.of("keyvault-service")),
                Arguments.of("admin-service", List.of("admin-service", "admin-outbox-relay")),
                Arguments.of("proxy-service", List.of("proxy-service")),
                Arguments.of("usage-service", List.of("usage-service")));
    }

    static Set<String> machineBoundSettings(String service) {
        Path yml = DeployDirectory.path().getParent().resolve(service + "/src/main/resources/application.yml");
        Matcher matcher = PLACEHOLDER.matcher(Yaml.text(yml));
        Set<String> names = new TreeSet<>();
        while (matcher.find()) {
            String fallback = matcher.group(2);
            if ((fallback.isEmpty() || fallback.contains("127.0.0.1") || fallback.contains("localhost")
                    || fallback.startsWith("file:certs/")) && !OPTIONAL.contains(matcher.group(1))) {
                names.add(matcher.group(1));
            }
        }
        return names;
    }

    @ParameterizedTest
    @MethodSource("services")
    void composeSetsEveryMachineBoundSetting(String service, List<String> deployments) {
        JsonNode environment = Yaml.composeTree(DeployDirectory.path().resolve("docker-compose.yml"))
                .path("services").path(service).path("environment");
        Set<String> set = new TreeSet<>();
        environment.fieldNames().forEachRemaining(set::add);

        assertThat(machineBoundSettings(service)).isNotEmpty();
        assertThat(set).containsAll(machineBoundSettings(service));
    }

    @ParameterizedTest
    @MethodSource("services")
    void everyOverlaySetsEveryMachineBoundSetting(String service, List<String> deployments) throws Exception {
        for (Path overlay : KubernetesManifestsTest.overlays().toList()) {
            List<HasMetadata> resources = KubernetesModel.bind(KustomizeBuild.render(overlay));
            Map<String, String> shared = resources.stream().filter(ConfigMap.class::isInstance)
                    .map(ConfigMap.class::cast).filter(c -> c.getMetadata().getName().equals("keygate-config"))
                    .findFirst().orElseThrow().getData();
            for (String name : deployments) {
                Deployment deployment = resources.stream().filter(Deployment.class::isInstance)
                        .map(Deployment.class::cast).filter(d -> d.getMetadata().getName().equals(name))
                        .findFirst().orElseThrow();
                Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
                Map<String, Object> set = new TreeMap<>(shared);
                container.getEnv().stream().map(EnvVar::getName).forEach(n -> set.put(n, n));

                assertThat(set.keySet()).as(overlay.getFileName() + " " + name)
                        .containsAll(machineBoundSettings(service));
            }
        }
    }
}
