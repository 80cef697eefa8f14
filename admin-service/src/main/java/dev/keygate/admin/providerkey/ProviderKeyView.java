package dev.keygate.admin.providerkey;

import java.time.Instant;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** A stored provider key as the API shows it: never the key, only its last four characters. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record ProviderKeyView(String provider, boolean hasApiKey, String last4, String fingerprint, Instant createdAt,
                       Instant updatedAt) {

    static ProviderKeyView of(ProviderKey key) {
        return new ProviderKeyView(key.provider(), true, key.hint(), key.fingerprint(), key.createdAt(),
                key.updatedAt());
    }
}
