package dev.keygate.admin.provider;

import java.util.Arrays;
import java.util.Optional;

/** How a provider wants its key; {@link #wire()} is the name used in models.yaml, the API and events. */
enum AuthScheme {

    /** {@code Authorization: Bearer <key>} (OpenAI, xAI, OpenAI-compatible servers). */
    BEARER("bearer"),
    /** {@code x-api-key: <key>} (Anthropic, E2B, Exa). */
    X_API_KEY("x-api-key"),
    /** {@code x-goog-api-key: <key>} (Gemini). */
    X_GOOG_API_KEY("x-goog-api-key"),
    /** {@code ?<auth_param>=<key>}, {@code key} unless named. */
    QUERY_PARAM("query-param"),
    /** {@code <auth_param>: <key>}, a header of the provider's choosing (Brave's {@code X-Subscription-Token}). */
    HEADER("header");

    private final String wire;

    AuthScheme(String wire) {
        this.wire = wire;
    }

    String wire() {
        return wire;
    }

    static Optional<AuthScheme> fromWire(String value) {
        return Arrays.stream(values()).filter(scheme -> scheme.wire.equals(value)).findFirst();
    }

    static String allowed() {
        return String.join(", ", Arrays.stream(values()).map(AuthScheme::wire).toList());
    }
}
