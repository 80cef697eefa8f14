package dev.keygate.proxy.metering;

import dev.keygate.contracts.usage.v1.TokenUsage;
import tools.jackson.databind.JsonNode;

/** Accumulates token usage from a provider's JSON answer or stream events, in that provider's own format. */
interface UsageReader {

    void read(JsonNode node);

    String model();

    TokenUsage usage();

    static UsageReader forProvider(String provider) {
        return switch (provider) {
            case "anthropic" -> new AnthropicUsageReader();
            case "gemini" -> new GeminiUsageReader();
            default -> new OpenAiUsageReader();
        };
    }

    static long count(JsonNode node, String field) {
        JsonNode value = node == null ? null : node.get(field);
        return value != null && value.isNumber() ? Math.max(0, value.asLong()) : 0;
    }
}
