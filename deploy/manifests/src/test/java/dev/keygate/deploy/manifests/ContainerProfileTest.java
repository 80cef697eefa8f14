package dev.keygate.deploy.manifests;

import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The images, compose and Kubernetes all start the services with profile "container": it must exist for every service,
 * log JSON and listen beyond loopback, or the probes and log shippers see nothing.
 */
class ContainerProfileTest {

    @ParameterizedTest
    @ValueSource(strings = {"keyvault-service", "admin-service", "proxy-service", "usage-service"})
    void everyServiceLogsJsonAndListensOnAllInterfacesInContainers(String service) {
        Path file = DeployDirectory.path().getParent().resolve(service + "/src/main/resources/application-container.yml");
        assertThat(file).exists();
        JsonNode profile = Yaml.tree(file);

        assertThat(profile.at("/logging/structured/format/console").asText()).isEqualTo("ecs");
        assertThat(profile.at("/server/address").asText()).endsWith(":0.0.0.0}");
        assertThat(profile.at("/management/endpoint/health/probes/enabled").asBoolean()).isTrue();
        if (service.equals("keyvault-service")) {
            assertThat(profile.at("/management/server/address").asText()).endsWith(":0.0.0.0}");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker-compose.yml", "k8s/base/configmap.yaml"})
    void theDeploymentsSelectTheContainerProfile(String manifest) throws Exception {
        assertThat(Files.readString(DeployDirectory.path().resolve(manifest)))
                .containsPattern("SPRING_PROFILES_ACTIVE: container");
    }
}
