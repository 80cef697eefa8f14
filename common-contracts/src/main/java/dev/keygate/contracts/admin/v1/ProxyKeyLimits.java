package dev.keygate.contracts.admin.v1;

import java.math.BigDecimal;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Limits set on one proxy key. Each {@code null} means "no limit of the key's own": the tenant's, user's and tier's
 * {@link QuotaPolicyChanged quota policies} still apply, and the tighter limit wins.
 *
 * @param requestsPerMinute calls a minute through this key
 * @param requestsPerDay calls a UTC day; for a device-bound key, counted over every device of its license
 * @param monthlyBudgetUsd spend a UTC calendar month, priced by usage-service
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProxyKeyLimits(Integer requestsPerMinute, Integer requestsPerDay, BigDecimal monthlyBudgetUsd) {

    public static final ProxyKeyLimits NONE = new ProxyKeyLimits(null, null, null);

    public ProxyKeyLimits {
        if (requestsPerMinute != null && requestsPerMinute < 1) {
            throw new IllegalArgumentException("requestsPerMinute must be at least 1");
        }
        if (requestsPerDay != null && requestsPerDay < 1) {
            throw new IllegalArgumentException("requestsPerDay must be at least 1");
        }
        if (monthlyBudgetUsd != null && monthlyBudgetUsd.signum() < 0) {
            throw new IllegalArgumentException("monthlyBudgetUsd must not be negative");
        }
    }

    public boolean isEmpty() {
        return requestsPerMinute == null && requestsPerDay == null && monthlyBudgetUsd == null;
    }
}
