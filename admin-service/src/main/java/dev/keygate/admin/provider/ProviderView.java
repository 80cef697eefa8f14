package dev.keygate.admin.provider;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * A provider as the API shows it (seed 002's shape plus Keygate's routing details). {@code has_api_key} says whether
 * the caller has a key stored for it; no key, not even part of one, is ever part of this view.
 *
 * @param predefined {@code true} for the providers of models.yaml, which no tenant can change or delete
 * @param authParam the header or query parameter name for {@code header} and {@code query-param}, else absent
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
record ProviderView(UUID id, String name, String displayName, String baseUrl, String kind, String authScheme,
                    String authParam, boolean predefined, boolean hasApiKey, List<ModelView> models,
                    Instant createdAt, Instant updatedAt) {

    static ProviderView of(ProviderRepository.ProviderRow row, boolean hasApiKey, List<ModelView> models) {
        return new ProviderView(row.id(), row.name(), row.displayName(), row.baseUrl(), row.kind().wire(),
                row.authScheme().wire(), row.authParam(), row.predefined(), hasApiKey, models, row.createdAt(),
                row.updatedAt());
    }
}
