package dev.keygate.admin.proxykey;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * A proxy key as the API shows it. {@code key} is present exactly once: in the answer that created it.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
record ProxyKeyView(UUID id, String name, String key, String hint, List<String> providers, List<String> models,
                    Integer requestsPerMinute, Integer requestsPerDay, BigDecimal monthlyBudgetUsd,
                    Instant createdAt, Instant expiresAt, Instant revokedAt) {

    static ProxyKeyView of(ProxyKey key) {
        ProxyKeyScope scope = key.scope();
        return new ProxyKeyView(key.id(), key.name(), null, key.hint(), scope.providers(), scope.models(),
                scope.limits().requestsPerMinute(), scope.limits().requestsPerDay(),
                scope.limits().monthlyBudgetUsd(), key.createdAt(), key.expiresAt(), key.revokedAt());
    }

    ProxyKeyView withKey(String plaintext) {
        return new ProxyKeyView(id, name, plaintext, hint, providers, models, requestsPerMinute, requestsPerDay,
                monthlyBudgetUsd, createdAt, expiresAt, revokedAt);
    }

    @Override
    public String toString() {
        return "ProxyKeyView[id=" + id + ", name=" + name + ", key=" + (key == null ? null : "***") + "]";
    }
}
