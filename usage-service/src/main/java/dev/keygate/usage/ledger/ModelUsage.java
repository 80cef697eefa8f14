package dev.keygate.usage.ledger;

import java.math.BigDecimal;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * A tenant's usage of one provider's model over a period. {@code model} is absent for calls that named none;
 * {@code errors} counts calls answered with a status of 400 or above; {@code costUsd} is priced with the price in
 * force at each call, and {@code unpricedRequests} counts calls that used tokens of a model with no price yet.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelUsage(String provider, String model, long requests, long inputTokens, long outputTokens,
                         long cacheReadTokens, long cacheWriteTokens, long errors, BigDecimal costUsd,
                         long unpricedRequests) {
}
