package dev.keygate.contracts.usage.v1;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Tokens one call consumed, as the provider reported them. {@code inputTokens} includes cached input tokens
 * (OpenAI's convention); for Anthropic the proxy adds {@code cache_read_input_tokens} and
 * {@code cache_creation_input_tokens} to {@code input_tokens} so every provider reads the same way.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TokenUsage(long inputTokens, long outputTokens, long cacheReadTokens, long cacheWriteTokens,
                         long reasoningTokens) {

    /** A call that reported no usage (an error, or a provider that does not count tokens). */
    public static final TokenUsage NONE = new TokenUsage(0, 0, 0, 0, 0);

    public TokenUsage {
        if (inputTokens < 0 || outputTokens < 0 || cacheReadTokens < 0 || cacheWriteTokens < 0 || reasoningTokens < 0) {
            throw new IllegalArgumentException("token counts cannot be negative");
        }
    }

    /** Reads a usage block in which every count but input and output may be absent (meaning zero). */
    @JsonCreator
    static TokenUsage fromJson(@JsonProperty("inputTokens") long inputTokens,
                               @JsonProperty("outputTokens") long outputTokens,
                               @JsonProperty("cacheReadTokens") Long cacheReadTokens,
                               @JsonProperty("cacheWriteTokens") Long cacheWriteTokens,
                               @JsonProperty("reasoningTokens") Long reasoningTokens) {
        return new TokenUsage(inputTokens, outputTokens, zeroIfAbsent(cacheReadTokens),
                zeroIfAbsent(cacheWriteTokens), zeroIfAbsent(reasoningTokens));
    }

    private static long zeroIfAbsent(Long count) {
        return count == null ? 0 : count;
    }

    public long totalTokens() {
        return inputTokens + outputTokens;
    }
}
