package dev.keygate.admin.provider;

import java.math.BigDecimal;
import java.time.Instant;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The body of {@code POST /api/v1/providers/{provider}/prices}: a model's price in USD per million tokens.
 *
 * @param model the model's name in the catalog
 * @param effectiveFrom from when the price applies; absent means now, a past instant corrects past prices
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record PriceVersion(String model, BigDecimal inputPerMillion, BigDecimal outputPerMillion, BigDecimal cacheReadPerMillion,
                    BigDecimal cacheWritePerMillion, Instant effectiveFrom) {
}
