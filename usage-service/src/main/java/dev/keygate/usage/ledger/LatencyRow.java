package dev.keygate.usage.ledger;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * Latency and time-to-first-byte percentiles in milliseconds of one provider and model, from the histogram buckets
 * (see {@link LatencyHistogram}: at most 5 % above the exact value). First-byte figures are null when no call of the
 * period reported one.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record LatencyRow(String provider, String model, long requests, Long latencyP50Ms, Long latencyP95Ms,
                         Long latencyP99Ms, long firstByteRequests, Long firstByteP50Ms, Long firstByteP95Ms,
                         Long firstByteP99Ms) {
}
