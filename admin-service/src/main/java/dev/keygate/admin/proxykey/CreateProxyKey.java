package dev.keygate.admin.proxykey;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The body of {@code POST /api/v1/proxy-keys}; every field is optional.
 *
 * @param providers providers the key may call; empty or absent means all
 * @param models models the key may call (the request's {@code model}); empty or absent means all
 * @param expiresAt when the key stops working; absent means never
 * @param requestsPerMinute the key's own per-minute limit; absent means only the quota policies apply
 * @param requestsPerDay the key's own limit per UTC day
 * @param monthlyBudgetUsd the key's own spend limit per UTC calendar month, in US dollars
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record CreateProxyKey(String name, List<String> providers, List<String> models, Instant expiresAt,
                      Integer requestsPerMinute, Integer requestsPerDay, BigDecimal monthlyBudgetUsd) {
}
