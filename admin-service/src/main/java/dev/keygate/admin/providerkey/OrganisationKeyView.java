package dev.keygate.admin.providerkey;

import java.time.Instant;

import dev.keygate.contracts.keyvault.v1.StoredKeyMetadata;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** An organisation-wide provider key as platform admins see it: never the key, only its last four characters. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record OrganisationKeyView(String provider, int priority, String label, String last4, String fingerprint,
                           String status, String statusReason, Instant createdAt, Instant updatedAt) {

    static OrganisationKeyView of(StoredKeyMetadata key) {
        return new OrganisationKeyView(key.provider(), key.priority(), key.label(), key.hint(), key.fingerprint(),
                key.status(), key.statusReason(), key.createdAt(), key.updatedAt());
    }
}
