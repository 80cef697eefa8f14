package dev.keygate.usage.ledger;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * One usage event as the ledger holds it; {@code receivedAt} is when usage-service first stored it, {@code costUsd}
 * its price in US dollars (absent while its model has no price), {@code tier} the caller's license tier (absent when
 * the event carried none).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LedgerEntry(UUID eventId, Instant occurredAt, Instant receivedAt, String region, String tenantId,
                          String userId, String callerType, String proxyKeyId, String provider, String model,
                          String operation, boolean streamed, int status, long inputTokens, long outputTokens,
                          long cacheReadTokens, long cacheWriteTokens, long reasoningTokens, long latencyMs,
                          Long firstByteMs, String traceId, BigDecimal costUsd, String tier) {
}
