package dev.keygate.deploy.manifests;

import java.nio.file.Files;
import java.nio.file.Path;

/** deploy/ of this checkout, found from the module's working directory (deploy/manifests). */
final class DeployDirectory {

    private DeployDirectory() {
    }

    static Path path() {
        Path here = Path.of("").toAbsolutePath();
        for (Path candidate = here; candidate != null; candidate = candidate.getParent()) {
            if (Files.isRegularFile(candidate.resolve("docker-compose.yml"))
                    && Files.isDirectory(candidate.resolve("k8s"))) {
                return candidate;
            }
            if (Files.isDirectory(candidate.resolve("deploy/k8s"))) {
                return candidate.resolve("deploy");
            }
        }
        throw new IllegalStateException("deploy/ not found above " + here);
    }
}
