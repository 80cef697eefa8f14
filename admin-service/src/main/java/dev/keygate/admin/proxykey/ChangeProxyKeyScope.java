package dev.keygate.admin.proxykey;

import java.math.BigDecimal;
import java.util.List;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The body of {@code PUT /api/v1/proxy-keys/{id}/scope}: the key's whole new scope. Whatever is absent is not
 * limited (providers and models: all).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record ChangeProxyKeyScope(List<String> providers, List<String> models, Integer requestsPerMinute,
                           Integer requestsPerDay, BigDecimal monthlyBudgetUsd) {
}
