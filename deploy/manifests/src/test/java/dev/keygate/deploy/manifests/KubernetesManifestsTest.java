package dev.keygate.deploy.manifests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Every region overlay of deploy/k8s renders, binds strictly and keeps the deployment invariants. */
class KubernetesManifestsTest {

    static Stream<Path> overlays() throws IOException {
        try (Stream<Path> dirs = Files.list(DeployDirectory.path().resolve("k8s/overlays"))) {
            return dirs.filter(Files::isDirectory).sorted().toList().stream();
        }
    }

    @Test
    void thereAreAtLeastTwoRegions() throws IOException {
        assertThat(overlays().map(p -> p.getFileName().toString())).contains("eu-west", "us-east");
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyOverlayKeepsTheInvariants(Path overlay) {
        List<HasMetadata> resources = KubernetesModel.bind(KustomizeBuild.render(overlay));

        assertThat(KubernetesRules.violations(resources)).isEmpty();
        assertThat(resources).extracting(HasMetadata::getKind)
                .contains("Deployment", "Service", "ConfigMap", "NetworkPolicy", "PodDisruptionBudget",
                        "HorizontalPodAutoscaler", "Certificate");
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyOverlayNamesItsRegionItsKafkaAndItsOwnMasterKeys(Path overlay) {
        String region = overlay.getFileName().toString();
        List<HasMetadata> resources = KubernetesModel.bind(KustomizeBuild.render(overlay));

        ConfigMap config = resources.stream().filter(ConfigMap.class::isInstance).map(ConfigMap.class::cast)
                .filter(c -> c.getMetadata().getName().equals("keygate-config")).findFirst().orElseThrow();
        assertThat(config.getData()).containsEntry("KEYGATE_REGION", region);
        assertThat(config.getData().get("KAFKA_BOOTSTRAP")).contains(region);
        Deployment keyvault = resources.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast)
                .filter(d -> d.getMetadata().getName().equals("keyvault-service")).findFirst().orElseThrow();
        assertThat(keyvault.getSpec().getTemplate().getSpec().getVolumes())
                .filteredOn(v -> v.getName().equals("master-keys"))
                .singleElement().satisfies(v -> assertThat(v.getSecret().getSecretName())
                        .isEqualTo("keygate-master-keys-" + region));
        assertThat(resources).filteredOn(Deployment.class::isInstance).map(Deployment.class::cast)
                .allSatisfy(d -> assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                        .startsWith("registry." + region + "."));
    }

    @Test
    void theBaseAloneAlsoKeepsTheInvariants() {
        List<ObjectNode> rendered = KustomizeBuild.render(DeployDirectory.path().resolve("k8s/base"));

        assertThat(KubernetesRules.violations(KubernetesModel.bind(rendered))).isEmpty();
    }
}
