package dev.keygate.local;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

import dev.keygate.local.SecretScanner.Hit;
import dev.keygate.local.SecretScanner.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The leak scan of {@link ReliabilityIT} can fail: a planted secret is found wherever it is forbidden. */
class SecretScannerTest {

    private static final String CANARY = "sk-proj-canaryABCDEFGHIJKLMNOPQRSTUVWX";
    private static final String PROXY_KEY = "px_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";

    private final SecretScanner scanner = new SecretScanner()
            .secret("canary", CANARY, EnumSet.allOf(Source.class))
            .secret("proxy key", PROXY_KEY, EnumSet.complementOf(EnumSet.of(Source.RESPONSE)));

    @Test
    void findsACanaryPlantedInAFileDeepInADirectory(@TempDir Path directory) throws Exception {
        Path nested = Files.createDirectories(directory.resolve("a/b"));
        Files.writeString(nested.resolve("clean.log"), "nothing here\n");
        Files.writeString(nested.resolve("usage-00000000000000000001.jsonl"), "{\"k\":\"" + CANARY + "\"}\n");

        scanner.scanFiles(Source.SPOOL, directory);

        assertThat(scanner.hits()).containsExactly(new Hit("canary", Source.SPOOL,
                nested.resolve("usage-00000000000000000001.jsonl").toString()));
        assertThat(scanner.itemsScanned(Source.SPOOL)).isEqualTo(2);
    }

    @Test
    void findsASecretInBinaryRecordBytesAndInPartWithoutItsLastCharacters() {
        byte[] record = ("\u0000\u0001 header=" + CANARY.substring(0, CANARY.length() - 4) + "\u00ff")
                .getBytes(StandardCharsets.ISO_8859_1);

        scanner.scan(Source.TOPIC, "usage.recorded[0]@7 headers", record);

        assertThat(scanner.hits()).isEmpty();
        SecretScanner partial = new SecretScanner()
                .secret("canary", CANARY.substring(0, CANARY.length() - 4), EnumSet.allOf(Source.class));
        partial.scan(Source.TOPIC, "usage.recorded[0]@7 headers", record);
        assertThat(partial.hits()).extracting(Hit::where).containsExactly("usage.recorded[0]@7 headers");
    }

    @Test
    void searchesEachSecretOnlyWhereItIsForbidden() {
        scanner.scan(Source.RESPONSE, "POST /api/v1/proxy-keys", "{\"key\":\"" + PROXY_KEY + "\"}");
        scanner.scan(Source.LOG, "proxy-service.log", "Authorization: Bearer " + PROXY_KEY);

        assertThat(scanner.hits()).containsExactly(new Hit("proxy key", Source.LOG, "proxy-service.log"));
        assertThat(scanner.hits().toString()).doesNotContain(PROXY_KEY);
    }

    @Test
    void refusesNeedlesShortEnoughToMatchByChance() {
        assertThatThrownBy(() -> new SecretScanner().secret("short", "abc123", Set.of(Source.LOG)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
