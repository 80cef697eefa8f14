package dev.keygate.usage.ledger;

import java.time.Instant;

/**
 * Which usage analytics reads: one tenant, the hours starting in {@code [from, to)}, and optionally one provider,
 * model, user, proxy key or license tier (null: any).
 */
public record UsageFilter(String tenantId, Instant from, Instant to, String provider, String model, String userId,
                          String proxyKeyId, String tier) {
}
