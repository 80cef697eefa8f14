package dev.keygate.admin.provider;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The body of {@code PUT /api/v1/providers/{id}}; every field is optional and only those sent change. {@code api_key}
 * is stored as the caller's own key for the provider (predefined or custom); the other fields change a custom
 * provider and need the platform-admin role.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record UpdateProvider(String apiKey, String displayName, String baseUrl, String authScheme, String authParam) {

    boolean changesProvider() {
        return displayName != null || baseUrl != null || authScheme != null || authParam != null;
    }

    @Override
    public String toString() {
        return "UpdateProvider[displayName=" + displayName + ", baseUrl=" + baseUrl + ", apiKey="
                + (apiKey == null ? null : "***") + "]";
    }
}
