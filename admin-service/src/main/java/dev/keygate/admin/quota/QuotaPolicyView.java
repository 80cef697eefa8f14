package dev.keygate.admin.quota;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** A quota policy as the API shows it; absent limits are not limited by it. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
record QuotaPolicyView(UUID id, String scope, String subject, Integer requestsPerMinute, Integer requestsPerDay,
                       Long tokensPerDay, Long tokensPerMonth, BigDecimal costPerDayUsd, BigDecimal costPerMonthUsd,
                       String enforcement, String createdBy, Instant createdAt, Instant updatedAt) {

    static QuotaPolicyView of(QuotaPolicy policy) {
        QuotaLimits limits = policy.limits();
        return new QuotaPolicyView(policy.id(), policy.scope(), policy.subject(), limits.requestsPerMinute(),
                limits.requestsPerDay(), limits.tokensPerDay(), limits.tokensPerMonth(), limits.costPerDayUsd(),
                limits.costPerMonthUsd(), limits.enforcement(), policy.createdBy(), policy.createdAt(),
                policy.updatedAt());
    }
}
