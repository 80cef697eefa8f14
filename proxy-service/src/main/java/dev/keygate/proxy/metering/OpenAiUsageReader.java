package dev.keygate.proxy.metering;

import dev.keygate.contracts.usage.v1.TokenUsage;
import tools.jackson.databind.JsonNode;

import static dev.keygate.proxy.metering.UsageReader.count;

/**
 * OpenAI and OpenAI-compatible answers: {@code usage} of Chat Completions ({@code prompt_tokens},
 * {@code completion_tokens}, {@code prompt_tokens_details.cached_tokens}) or of the Responses API
 * ({@code input_tokens}, {@code output_tokens}), in a JSON body or in the final stream chunk. Cached tokens are
 * already included in the prompt count.
 */
final class OpenAiUsageReader implements UsageReader {

    private String model;
    private TokenUsage usage = TokenUsage.NONE;

    @Override
    public void read(JsonNode node) {
        if (model == null && node.get("model") != null && node.get("model").isString()) {
            model = node.get("model").asString();
        }
        JsonNode response = node.get("response");
        JsonNode usageNode = node.get("usage");
        if ((usageNode == null || !usageNode.isObject()) && response != null) {
            usageNode = response.get("usage");
        }
        if (usageNode == null || !usageNode.isObject()) {
            return;
        }
        long input = usageNode.has("prompt_tokens") ? count(usageNode, "prompt_tokens") : count(usageNode, "input_tokens");
        long output = usageNode.has("completion_tokens") ? count(usageNode, "completion_tokens")
                : count(usageNode, "output_tokens");
        JsonNode inputDetails = usageNode.has("prompt_tokens_details") ? usageNode.get("prompt_tokens_details")
                : usageNode.get("input_tokens_details");
        JsonNode outputDetails = usageNode.has("completion_tokens_details") ? usageNode.get("completion_tokens_details")
                : usageNode.get("output_tokens_details");
        usage = new TokenUsage(input, output, Math.min(input, count(inputDetails, "cached_tokens")), 0,
                count(outputDetails, "reasoning_tokens"));
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
