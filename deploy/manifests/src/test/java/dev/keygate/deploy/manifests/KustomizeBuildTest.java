package dev.keygate.deploy.manifests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KustomizeBuildTest {

    @TempDir
    Path dir;

    private static final String CONFIG = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings
            data:
              REGION: unset
            """;

    private void write(String file, String text) throws IOException {
        Files.createDirectories(dir.resolve(file).getParent());
        Files.writeString(dir.resolve(file), text);
    }

    @Test
    void rendersResourcesOfTheBaseWithTheOverlaysPatchAndNamespace() throws IOException {
        write("base/kustomization.yaml", "resources:\n  - config.yaml\n");
        write("base/config.yaml", CONFIG);
        write("overlay/kustomization.yaml", """
                namespace: keygate
                resources:
                  - ../base
                patches:
                  - path: region.yaml
                    target:
                      kind: ConfigMap
                      name: settings
                """);
        write("overlay/region.yaml", "- op: replace\n  path: /data/REGION\n  value: eu-west\n");

        List<ObjectNode> rendered = KustomizeBuild.render(dir.resolve("overlay"));

        assertThat(rendered).singleElement().satisfies(r -> {
            assertThat(r.at("/data/REGION").asText()).isEqualTo("eu-west");
            assertThat(r.at("/metadata/namespace").asText()).isEqualTo("keygate");
        });
    }

    @Test
    void aMissingResourceFileFailsTheBuild() throws IOException {
        write("base/kustomization.yaml", "resources:\n  - config.yaml\n  - gone.yaml\n");
        write("base/config.yaml", CONFIG);

        assertThatThrownBy(() -> KustomizeBuild.render(dir.resolve("base"))).isInstanceOf(ManifestException.class)
                .hasMessageContaining("gone.yaml does not exist");
    }

    @Test
    void aMissingPatchFileFailsTheBuild() throws IOException {
        write("base/kustomization.yaml", """
                resources:
                  - config.yaml
                patches:
                  - path: nowhere.yaml
                    target:
                      kind: ConfigMap
                      name: settings
                """);
        write("base/config.yaml", CONFIG);

        assertThatThrownBy(() -> KustomizeBuild.render(dir.resolve("base"))).isInstanceOf(ManifestException.class)
                .hasMessageContaining("nowhere.yaml does not exist");
    }

    @Test
    void aPatchWhoseTargetDoesNotExistFailsTheBuild() throws IOException {
        write("base/kustomization.yaml", """
                resources:
                  - config.yaml
                patches:
                  - path: region.yaml
                    target:
                      kind: ConfigMap
                      name: setings
                """);
        write("base/config.yaml", CONFIG);
        write("base/region.yaml", "- op: replace\n  path: /data/REGION\n  value: eu-west\n");

        assertThatThrownBy(() -> KustomizeBuild.render(dir.resolve("base"))).isInstanceOf(ManifestException.class)
                .hasMessageContaining("matches no ConfigMap named setings");
    }

    @Test
    void aFailingTestOperationFailsTheBuild() throws IOException {
        write("base/kustomization.yaml", """
                resources:
                  - config.yaml
                patches:
                  - path: region.yaml
                    target:
                      kind: ConfigMap
                      name: settings
                """);
        write("base/config.yaml", CONFIG);
        write("base/region.yaml", "- op: test\n  path: /data/REGION\n  value: us-east\n");

        assertThatThrownBy(() -> KustomizeBuild.render(dir.resolve("base"))).isInstanceOf(ManifestException.class)
                .hasMessageContaining("expected \"us-east\" but found \"unset\"");
    }

    @Test
    void aKustomizeFeatureThisBuildDoesNotImplementIsRefusedNotIgnored() throws IOException {
        write("base/kustomization.yaml", """
                resources:
                  - config.yaml
                configMapGenerator:
                  - name: extra
                """);
        write("base/config.yaml", CONFIG);

        assertThatThrownBy(() -> KustomizeBuild.render(dir.resolve("base"))).isInstanceOf(ManifestException.class)
                .hasMessageContaining("configMapGenerator");
    }
}
