package dev.keygate.admin.license;

import org.junit.jupiter.api.Test;

import static dev.keygate.admin.license.LegacyActivationCipher.Padding.DOUBLE;
import static dev.keygate.admin.license.LegacyActivationCipher.Padding.SINGLE;
import static org.assertj.core.api.Assertions.assertThat;

class LegacyClientsTest {

    @Test
    void javaScriptFetchClientsGetTheExtraPaddingTheSeedTypeScriptClientStrips() {
        // Node 20's fetch, as captured from a real request.
        assertThat(LegacyClients.padding("node", "cors")).isEqualTo(DOUBLE);
        assertThat(LegacyClients.padding("undici", null)).isEqualTo(DOUBLE);
        assertThat(LegacyClients.padding("Deno/2.1.4", null)).isEqualTo(DOUBLE);
        assertThat(LegacyClients.padding("Bun/1.1.0", null)).isEqualTo(DOUBLE);
        assertThat(LegacyClients.padding("Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0", "cors")).isEqualTo(DOUBLE);
    }

    @Test
    void everyOtherClientGetsStandardPkcs7() {
        assertThat(LegacyClients.padding("python-requests/2.28.1", null)).isEqualTo(SINGLE);
        assertThat(LegacyClients.padding("curl/8.5.0", null)).isEqualTo(SINGLE);
        assertThat(LegacyClients.padding("Go-http-client/1.1", null)).isEqualTo(SINGLE);
        assertThat(LegacyClients.padding("Java-http-client/17", null)).isEqualTo(SINGLE);
        assertThat(LegacyClients.padding("nodejs-tool-written-in-rust", null)).isEqualTo(SINGLE);
        assertThat(LegacyClients.padding(null, null)).isEqualTo(SINGLE);
        assertThat(LegacyClients.padding(null, " ")).isEqualTo(SINGLE);
    }
}
