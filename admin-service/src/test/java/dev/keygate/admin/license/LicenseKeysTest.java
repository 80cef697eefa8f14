package dev.keygate.admin.license;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LicenseKeysTest {

    @Test
    void licenseKeysFillExactlyTheLegacyCiphers32ByteKey() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String key = LicenseKeys.newKey();
            assertThat(key).matches("LIC-[0-9A-HJKMNP-TV-Z]{28}");
            assertThat(key.getBytes(StandardCharsets.UTF_8)).hasSize(32);
            seen.add(key);
        }
        assertThat(seen).hasSize(1000);
    }

    @Test
    void hashesAreLowerCaseHexSha256OfTheUtf8Text() {
        assertThat(LicenseKeys.sha256("abc"))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
