package dev.keygate.admin.providerkey;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** The body of {@code PUT /api/v1/me/provider-keys/{provider}}: {@code {"api_key": "sk-..."}}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record StoreProviderKey(String apiKey) {

    @Override
    public String toString() {
        return "StoreProviderKey[apiKey=***]";
    }
}
