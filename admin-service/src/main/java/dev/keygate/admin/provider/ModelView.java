package dev.keygate.admin.provider;

import java.time.Instant;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * A model as the API shows it.
 *
 * @param predefined {@code true} for the models of models.yaml; a tenant's own models are {@code false}
 * @param pricing example prices in USD per million tokens, absent when unknown
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
record ModelView(UUID id, UUID providerId, String name, String displayName, boolean predefined, Pricing pricing,
                 Instant createdAt, Instant updatedAt) {

    static ModelView of(ProviderRepository.ModelRow row) {
        return new ModelView(row.id(), row.providerId(), row.name(), row.displayName(), row.predefined(),
                row.pricing(), row.createdAt(), row.updatedAt());
    }
}
