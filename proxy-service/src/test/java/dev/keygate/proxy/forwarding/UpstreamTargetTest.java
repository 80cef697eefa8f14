package dev.keygate.proxy.forwarding;

import java.net.URI;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UpstreamTargetTest {

    private static final URI OPENAI = URI.create("https://api.openai.com");

    @Test
    void appendsThePathAndQueryToTheProviderBase() {
        assertThat(UpstreamTarget.resolve(OPENAI, "/v1/models", "limit=2"))
                .isEqualTo(URI.create("https://api.openai.com/v1/models?limit=2"));
        assertThat(UpstreamTarget.resolve(URI.create("http://127.0.0.1:9/base/"), "/v1/chat/completions", null))
                .isEqualTo(URI.create("http://127.0.0.1:9/base/v1/chat/completions"));
    }

    @Test
    void dropsACallerKeyFromTheQuery() {
        assertThat(UpstreamTarget.resolve(OPENAI, "/v1beta/models", "key=px_abc&alt=sse"))
                .isEqualTo(URI.create("https://api.openai.com/v1beta/models?alt=sse"));
        assertThat(UpstreamTarget.resolve(OPENAI, "/v1beta/models", "alt=sse&key=px_abc"))
                .isEqualTo(URI.create("https://api.openai.com/v1beta/models?alt=sse"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/../admin", "/v1/../../etc/passwd", "/%2e%2e/admin", "/v1/%2E%2E/x", "/v1%2f..%2fx",
            "/v1%5c..", "//evil.example/v1", "/@evil.example/", "/http://evil.example/", "/v1/./models",
            "/v1/%00", "relative"})
    void refusesPathsThatCouldLeaveTheProvider(String path) {
        assertThatThrownBy(() -> UpstreamTarget.resolve(OPENAI, path, null)).isInstanceOf(UnsafePathException.class);
    }
}
