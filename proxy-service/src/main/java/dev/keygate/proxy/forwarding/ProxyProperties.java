package dev.keygate.proxy.forwarding;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * The proxy's upstreams and limits.
 *
 * @param region stamped on every usage event
 * @param responseTimeout how long to wait for the provider's response headers
 */
@Validated
@ConfigurationProperties("keygate.proxy")
public record ProxyProperties(@NotBlank String region, @NotNull Duration connectTimeout,
                              @NotNull Duration responseTimeout,
                              @NotEmpty Map<String, @Valid Provider> providers) {

    /** How a provider wants its key. */
    public enum AuthScheme {
        /** {@code Authorization: Bearer <key>} (OpenAI, xAI, OpenAI-compatible). */
        BEARER,
        /** {@code x-api-key: <key>} (Anthropic). */
        X_API_KEY,
        /** {@code x-goog-api-key: <key>} (Gemini). */
        X_GOOG_API_KEY,
        /** {@code ?key=<key>} (tool APIs that only take a query parameter). */
        QUERY_KEY,
        /** {@code X-Subscription-Token: <key>} (Brave Search). */
        X_SUBSCRIPTION_TOKEN
    }

    public record Provider(@NotNull URI baseUrl, @NotNull AuthScheme auth) {
    }
}
