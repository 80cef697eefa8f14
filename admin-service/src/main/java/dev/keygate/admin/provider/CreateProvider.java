package dev.keygate.admin.provider;

import java.util.List;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The body of {@code POST /api/v1/providers}: a custom, by default OpenAI-compatible, provider of the caller's tenant.
 *
 * @param name required; the id used in routes and provider keys, unique among the providers the tenant sees
 * @param apiKey optional; stored as the caller's own key for this provider, through keyvault
 * @param models optional model names, like {@code ["model-1", "model-2"]}
 * @param kind {@code llm} (default) or {@code tool}
 * @param authScheme {@code bearer} (default), {@code x-api-key}, {@code x-goog-api-key}, {@code query-param} or
 *                   {@code header}
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record CreateProvider(String name, String displayName, String baseUrl, String apiKey, List<String> models,
                      String kind, String authScheme, String authParam) {

    @Override
    public String toString() {
        return "CreateProvider[name=" + name + ", baseUrl=" + baseUrl + ", apiKey=" + (apiKey == null ? null : "***")
                + "]";
    }
}
