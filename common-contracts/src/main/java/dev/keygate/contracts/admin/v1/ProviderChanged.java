package dev.keygate.contracts.admin.v1;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A tenant's custom provider was created, changed or deleted (wire type {@code provider.changed}), relayed from
 * admin-service's outbox and keyed by provider id: the last event per provider is its current routing state, so
 * a proxy rebuilds its routes by reading the compacted topic from the start. Predefined providers are not announced;
 * every service reads them from its own configuration. Never carries key material.
 *
 * @param name the provider id callers use in routes and provider keys, unique within the tenant
 * @param baseUrl where the proxy sends the provider's calls; {@code null} when {@code deleted}
 * @param authScheme how the provider wants its key: {@code bearer}, {@code x-api-key}, {@code x-goog-api-key},
 *                   {@code query-param} or {@code header}; {@code null} when {@code deleted}
 * @param authParam the query parameter or header name for {@code query-param} and {@code header}, else {@code null}
 * @param deleted {@code true} once the provider is gone; the proxy drops its route
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProviderChanged(UUID eventId, String type, int version, Instant occurredAt, UUID providerId,
                              String tenantId, String name, String baseUrl, String authScheme, String authParam,
                              boolean deleted) {

    public static final String TYPE = "provider.changed";
    public static final int VERSION = 1;

    public ProviderChanged {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(providerId, "providerId");
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(name, "name");
        type = type == null ? TYPE : type;
        version = version == 0 ? VERSION : version;
        if (!deleted) {
            Objects.requireNonNull(baseUrl, "baseUrl");
            Objects.requireNonNull(authScheme, "authScheme");
        }
    }
}
