package dev.keygate.admin.provider;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The body of {@code POST /api/v1/providers/{id}/models}: a model of the caller's tenant.
 *
 * @param name required, unique among the provider's models the tenant sees
 * @param pricing optional; {@code input_per_million} and {@code output_per_million} in USD when given
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record AddModel(String name, String displayName, Pricing pricing) {
}
