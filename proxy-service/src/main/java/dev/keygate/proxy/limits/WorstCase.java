package dev.keygate.proxy.limits;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The most tokens one call can use, from its request body: every byte of the body may be an input token (tokenizers
 * of the supported providers never make a token of less than a byte of text), plus the output limit the body sets
 * (times OpenAI's {@code n} choices), or an assumed default when it sets none. Images and audio named by URL cost
 * more input tokens than their bytes; docs/quotas.md states that exception to the bound.
 */
final class WorstCase {

    private WorstCase() {
    }

    static long tokens(byte[] body, JsonMapper json, long defaultMaxOutput) {
        if (body == null || body.length == 0) {
            return 0;
        }
        long output = defaultMaxOutput;
        long choices = 1;
        try {
            JsonNode tree = json.readTree(body);
            if (tree != null && tree.isObject()) {
                JsonNode limit = first(tree, "max_tokens", "max_completion_tokens", "max_output_tokens");
                JsonNode generation = tree.get("generationConfig");
                if (limit == null && generation != null && generation.isObject()) {
                    limit = first(generation, "maxOutputTokens", "max_output_tokens");
                    JsonNode candidates = generation.get("candidateCount");
                    choices = candidates != null && candidates.canConvertToLong() ? Math.max(1, candidates.asLong()) : 1;
                }
                if (limit != null && limit.canConvertToLong() && limit.asLong() > 0) {
                    output = limit.asLong();
                }
                JsonNode n = tree.get("n");
                if (n != null && n.canConvertToLong() && n.asLong() > 1) {
                    choices = n.asLong();
                }
            }
        }
        catch (JacksonException ex) {
            // Not JSON: the provider will refuse it, or it is a format whose output the default bounds.
        }
        return Math.addExact(body.length, Math.multiplyExact(output, choices));
    }

    private static JsonNode first(JsonNode node, String... names) {
        for (String name : names) {
            JsonNode value = node.get(name);
            if (value != null && value.isNumber()) {
                return value;
            }
        }
        return null;
    }
}
