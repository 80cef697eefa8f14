package dev.keygate.proxy.metering;

import dev.keygate.contracts.usage.v1.TokenUsage;
import tools.jackson.databind.JsonNode;

import static dev.keygate.proxy.metering.UsageReader.count;

/** Gemini {@code generateContent}: {@code usageMetadata}, repeated (cumulatively) in streamed chunks. */
final class GeminiUsageReader implements UsageReader {

    private String model;
    private TokenUsage usage = TokenUsage.NONE;

    @Override
    public void read(JsonNode node) {
        if (model == null && node.get("modelVersion") != null) {
            model = node.get("modelVersion").asString();
        }
        JsonNode metadata = node.get("usageMetadata");
        if (metadata == null || !metadata.isObject()) {
            return;
        }
        long input = count(metadata, "promptTokenCount");
        usage = new TokenUsage(input, count(metadata, "candidatesTokenCount") + count(metadata, "thoughtsTokenCount"),
                Math.min(input, count(metadata, "cachedContentTokenCount")), 0, count(metadata, "thoughtsTokenCount"));
    }

    @Override
    public String model() {
        return model;
    }

    @Override
    public TokenUsage usage() {
        return usage;
    }
}
