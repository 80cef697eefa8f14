package dev.keygate.keyvault;

import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Master key rotation while the proxy keeps decrypting: add a version, promote it, re-wrap every data key in the
 * background, retire the old version. No decrypt may fail along the way, and afterwards every secret still decrypts
 * and none is wrapped by the old version.
 */
class KeyRotationIT extends KeyvaultIntegrationTest {

    private static final int SECRETS = 60;
    private static final int READERS = 4;

    @Test
    void rotatesUnderConcurrentDecryptsLosingNoSecretAndFailingNoRequest() throws Exception {
        Map<String, String> keys = new java.util.LinkedHashMap<>();
        for (int i = 0; i < SECRETS; i++) {
            String user = "rotation-user-" + i;
            String key = "sk-rotation-" + i + "-" + randomToken(18);
            keys.put(user, key);
            json(ADMIN, "PUT", "/v1/tenants/rotation/users/" + user + "/keys/openai", keyBody(key));
        }
        int oldVersion = json(OPERATOR, "GET", "/v1/keyring", null).get("primaryVersion").asInt();
        int newVersion = oldVersion + 1;

        AtomicBoolean reading = new AtomicBoolean(true);
        AtomicLong decrypts = new AtomicLong();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        ExecutorService readers = Executors.newFixedThreadPool(READERS);
        List<Future<?>> running = new ArrayList<>();
        List<String> users = List.copyOf(keys.keySet());
        for (int reader = 0; reader < READERS; reader++) {
            int offset = reader;
            running.add(readers.submit(() -> {
                int i = offset;
                while (reading.get()) {
                    String user = users.get(i++ % users.size());
                    try {
                        var response = call(PROXY, "POST", "/v1/resolve", resolveBody("rotation", user, "openai"));
                        String key = response.statusCode() == 200 ? JSON.readTree(response.body()).get("key").asString() : null;
                        if (!keys.get(user).equals(key)) {
                            failures.add(user + ": " + response.statusCode());
                        }
                        decrypts.incrementAndGet();
                    }
                    catch (Exception ex) {
                        failures.add(user + ": " + ex);
                    }
                }
                return null;
            }));
        }

        // 1. A new version appears in the key source and is loaded.
        Files.writeString(KEYRING, masterKeyLine(newVersion), StandardOpenOption.APPEND);
        assertThat(json(OPERATOR, "POST", "/v1/keyring/reload", null).toString()).contains(String.valueOf(newVersion));
        // 2. Promoted: new secrets are sealed with it.
        json(OPERATOR, "PUT", "/v1/keyring/primary", "{\"version\":" + newVersion + "}");
        String lateKey = "sk-late-" + randomToken(18);
        JsonNode late = json(ADMIN, "PUT", "/v1/tenants/rotation/users/late/keys/openai", keyBody(lateKey));
        assertThat(late.get("masterKeyVersion").asInt()).isEqualTo(newVersion);
        // Retiring now would strand secrets: refused.
        assertThat(call(OPERATOR, "PUT", "/v1/keyring/min-decryption-version", "{\"version\":" + newVersion + "}")
                .statusCode()).isEqualTo(409);
        // 3. Re-wrap in the background while the readers go on.
        assertThat(call(OPERATOR, "POST", "/v1/keyring/rewrap", null).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            JsonNode status = json(OPERATOR, "GET", "/v1/keyring", null);
            return !status.get("rewrap").get("running").asBoolean()
                    && status.get("secretsByVersion").get(String.valueOf(oldVersion)) == null;
        });
        // 4. Retire the old version.
        JsonNode retired = json(OPERATOR, "PUT", "/v1/keyring/min-decryption-version", "{\"version\":" + newVersion + "}");
        assertThat(retired.get("minDecryptionVersion").asInt()).isEqualTo(newVersion);
        long decryptsBeforeStop = decrypts.get();
        assertThat(decryptsBeforeStop).as("decrypts while the keyring rotated").isPositive();
        // Readers go on after the retirement, and until each secret was read at least once overall (a loaded machine
        // can rotate faster than the readers get through them).
        await().atMost(Duration.ofSeconds(30))
                .until(() -> decrypts.get() > decryptsBeforeStop + READERS && decrypts.get() > SECRETS);

        reading.set(false);
        for (Future<?> reader : running) {
            reader.get();
        }
        readers.shutdown();

        assertThat(failures).isEmpty();
        assertThat(decrypts.get()).isGreaterThan(SECRETS);
        assertThat(jdbc.queryForObject("select count(*) from stored_key where master_key_version < ?", Long.class,
                newVersion)).isZero();
        for (Map.Entry<String, String> entry : keys.entrySet()) {
            assertThat(json(PROXY, "POST", "/v1/resolve", resolveBody("rotation", entry.getKey(), "openai"))
                    .get("key").asString()).isEqualTo(entry.getValue());
        }
        assertThat(jdbc.queryForObject("select count(*) from audit_event where action like 'keyring-%'", Long.class))
                .isGreaterThanOrEqualTo(4);
    }
}
