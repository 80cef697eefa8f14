package dev.keygate.proxy.compat;

import java.util.Map;

import dev.keygate.testkit.FakeLlmProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

import static dev.keygate.proxy.compat.CompatRoutesFixture.OPENAI_KEY;
import static dev.keygate.proxy.compat.CompatRoutesFixture.PLAIN_PX;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A caller cannot choose what credential, host or forwarding identity reaches the provider: whatever it sends beside
 * its own proxy key is dropped, and only the real key, in the provider's own scheme, goes out.
 */
class HeaderInjectionTest {

    private final CompatRoutesFixture stack = new CompatRoutesFixture(Map.of(), null);

    @AfterEach
    void stop() {
        stack.close();
    }

    @Test
    void credentialsHostAndForwardingHeadersTheCallerAddsNeverReachTheProvider() {
        stack.client.post().uri("/api/proxy/openai/v1/chat/completions?key=" + PLAIN_PX + "&api-version=1")
                .header("Authorization", "Bearer " + PLAIN_PX)
                .header("x-api-key", "sk-attacker-chosen-key")
                .header("x-goog-api-key", "attacker-goog-key")
                .header("api-key", "attacker-azure-key")
                .header("Proxy-Authorization", "Basic YXR0YWNrZXI6eA==")
                .header("Cookie", "session=attacker")
                .header("X-Forwarded-For", "203.0.113.9")
                .header("X-Forwarded-Host", "evil.example")
                .header("Forwarded", "for=203.0.113.9;host=evil.example")
                .header("X-Hardware-Id", "hw-attacker")
                .header("Host", "evil.example")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .exchange().expectStatus().isOk();

        FakeLlmProvider.RecordedRequest received = stack.provider.lastRequest();
        assertThat(received.credential()).isEqualTo(OPENAI_KEY);
        String headers = received.headers().toString().toLowerCase(java.util.Locale.ROOT);
        assertThat(headers).contains("bearer " + OPENAI_KEY.toLowerCase(java.util.Locale.ROOT))
                .doesNotContain("attacker").doesNotContain("203.0.113.9").doesNotContain("evil.example")
                .doesNotContain("hw-attacker").doesNotContain("px_");
        assertThat(received.path()).doesNotContain("px_");
    }

    @Test
    void aSecondAuthorizationHeaderCannotSmuggleAnotherCredential() {
        stack.client.post().uri("/api/proxy/openai/v1/chat/completions")
                .header("Authorization", "Bearer " + PLAIN_PX, "Bearer sk-attacker-chosen-key")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .exchange().expectStatus().isOk();

        assertThat(stack.provider.lastRequest().headers().toString()).doesNotContain("attacker")
                .doesNotContain(PLAIN_PX);
        assertThat(stack.provider.lastRequest().credential()).isEqualTo(OPENAI_KEY);
    }
}
