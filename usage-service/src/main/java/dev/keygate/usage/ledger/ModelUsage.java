package dev.keygate.usage.ledger;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * A tenant's usage of one provider's model over a period. {@code model} is absent for calls that named none;
 * {@code errors} counts calls answered with a status of 400 or above.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelUsage(String provider, String model, long requests, long inputTokens, long outputTokens,
                         long cacheReadTokens, long cacheWriteTokens, long errors) {
}
