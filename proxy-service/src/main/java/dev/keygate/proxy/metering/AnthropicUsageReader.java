package dev.keygate.proxy.metering;

import dev.keygate.contracts.usage.v1.TokenUsage;
import tools.jackson.databind.JsonNode;

import static dev.keygate.proxy.metering.UsageReader.count;

/**
 * Anthropic Messages: {@code usage} of a JSON message, or {@code message_start} (input and cache counts) then
 * {@code message_delta} (cumulative output count) in a stream. Anthropic counts cache reads and writes apart from
 * {@code input_tokens}; they are added to the input so every provider's input means the same.
 */
final class AnthropicUsageReader implements UsageReader {

    private String model;
    private long input;
    private long cacheRead;
    private long cacheWrite;
    private long output;

    @Override
    public void read(JsonNode node) {
        JsonNode type = node.get("type");
        String kind = type == null ? "" : type.asString();
        switch (kind) {
            case "message" -> {
                model(node);
                counts(node.get("usage"));
            }
            case "message_start" -> {
                JsonNode message = node.get("message");
                if (message != null) {
                    model(message);
                    counts(message.get("usage"));
                }
            }
            case "message_delta" -> counts(node.get("usage"));
            default -> { }
        }
    }

    private void model(JsonNode message) {
        if (model == null && message.get("model") != null && message.get("model").isString()) {
            model = message.get("model").asString();
        }
    }

    private void counts(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return;
        }
        // message_delta's counts are cumulative; later events can only raise them.
        input = Math.max(input, count(usage, "input_tokens"));
        cacheRead = Math.max(cacheRead, count(usage, "cache_read_input_tokens"));
        cacheWrite = Math.max(cacheWrite, count(usage, "cache_creation_input_tokens"));
        output = Math.max(output, count(usage, "output_tokens"));
    }

    @Override
    public String model() {
        return model;
    }

    @Override
    public TokenUsage usage() {
        return new TokenUsage(input + cacheRead + cacheWrite, output, cacheRead, cacheWrite, 0);
    }
}
