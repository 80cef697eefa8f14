package dev.keygate.usage.ledger;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * Usage of one group in one time bucket. A dimension the rows are not grouped by is null (and left out of JSON); a
 * grouped dimension the calls did not have is "". {@code totalTokens} is input plus output (cached tokens are part of
 * input); {@code errorRate} is errors / requests; {@code costUsd} leaves out {@code unpricedRequests}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"bucketStart", "user", "key", "provider", "model", "region", "tier"})
public record UsageRow(Instant bucketStart, String user, String key, String provider, String model, String region,
                       String tier, long requests, long inputTokens, long outputTokens, long cacheReadTokens, long cacheWriteTokens,
                       long totalTokens, long errors, BigDecimal errorRate, BigDecimal costUsd,
                       long unpricedRequests) {

    static BigDecimal rate(long errors, long requests) {
        return requests == 0 ? BigDecimal.ZERO
                : BigDecimal.valueOf(errors).divide(BigDecimal.valueOf(requests), 4, RoundingMode.HALF_UP);
    }

    /** The value of one dimension of this row. */
    public String value(Dimension dimension) {
        switch (dimension) {
            case USER:
                return user;
            case KEY:
                return key;
            case PROVIDER:
                return provider;
            case MODEL:
                return model;
            case TIER:
                return tier;
            default:
                return region;
        }
    }
}
