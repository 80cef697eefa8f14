package dev.keygate.deploy.manifests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** No file under deploy/ (outside build output and the git-ignored certs/out) carries key material or a real secret. */
class NoSecretFilesTest {

    @Test
    void noDeployFileContainsKeyMaterialOrATokenLikeSecret() throws IOException {
        Path deploy = DeployDirectory.path();
        List<String> offenders;
        try (Stream<Path> files = Files.walk(deploy)) {
            offenders = files.filter(Files::isRegularFile)
                    .filter(p -> !p.toString().contains("/target/") && !p.toString().contains("/certs/out/")
                            && !p.toString().contains("/src/test/"))
                    .filter(p -> p.toString().matches(".*\\.(ya?ml|json|sh|properties|env|example|md|conf)$"))
                    .filter(NoSecretFilesTest::containsSecret)
                    .map(deploy::relativize).map(Path::toString).toList();
        }
        assertThat(offenders).isEmpty();
    }

    @Test
    void theScanRecognisesAPrivateKeyAndAProviderKey() {
        assertThat(SecretPatterns.lineContainsSecret("-----BEGIN PRIVATE KEY-----")).isTrue();
        assertThat(SecretPatterns.lineContainsSecret("  password: \"Zq8f0X3uVb7mKp2RtY9wLs4nHc6dJe1a\"")).isTrue();
        assertThat(SecretPatterns.lineContainsSecret("KAFKA_CLUSTER_ID=5L6g3nShT-eMCtK--X86sw")).isFalse();
        assertThat(SecretPatterns.looksLikeSecret("OPENAI=sk-proj-0123456789abcdefghijkl")).isTrue();
        assertThat(SecretPatterns.looksLikeSecret("1=q83vEjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0Vng=")).isTrue();
        assertThat(SecretPatterns.looksLikeSecret("http://otel-collector.observability.svc:4318/v1/traces")).isFalse();
    }

    private static boolean containsSecret(Path file) {
        try {
            return Files.readAllLines(file).stream().anyMatch(SecretPatterns::lineContainsSecret);
        }
        catch (IOException ex) {
            return true;
        }
    }
}
