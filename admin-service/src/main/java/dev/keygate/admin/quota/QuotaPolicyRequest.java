package dev.keygate.admin.quota;

import java.math.BigDecimal;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The body of {@code POST /api/v1/quota-policies} and {@code PUT /api/v1/quota-policies/{id}} (where scope and
 * subject cannot change). At least one limit is required; absent limits are not limited by this policy.
 *
 * @param scope {@code tenant}, {@code user}, {@code proxy-key} or {@code tier}
 * @param subject the Keycloak user id, proxy key id or tier ({@code free}, {@code pro}, {@code enterprise}); absent
 *                for {@code tenant}. A tier policy's request limits count per license; its token and cost limits are
 *                a budget of the whole tier (every license of it together), which usage-service holds
 * @param enforcement {@code hard} (default) refuses calls past a limit, {@code soft} only reports them
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record QuotaPolicyRequest(String scope, String subject, Integer requestsPerMinute, Integer requestsPerDay,
                          Long tokensPerDay, Long tokensPerMonth, BigDecimal costPerDayUsd,
                          BigDecimal costPerMonthUsd, String enforcement) {
}
