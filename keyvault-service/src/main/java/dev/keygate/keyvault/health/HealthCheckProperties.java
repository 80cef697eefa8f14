package dev.keygate.keyvault.health;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * How to ask each provider whether a key works: the cheapest authenticated call it has (listing models).
 * A provider without an entry is never checked.
 *
 * @param timeout how long a check may take before it counts as "could not ask"
 */
@Validated
@ConfigurationProperties("keygate.keyvault.key-checks")
record HealthCheckProperties(@NotNull Duration timeout, Map<String, Check> providers) {

    HealthCheckProperties {
        providers = providers == null ? Map.of() : Map.copyOf(providers);
    }

    /**
     * @param url the full URL of the check call, e.g. {@code https://api.openai.com/v1/models}
     * @param auth where the key goes: {@code bearer}, {@code x-api-key}, {@code x-goog-api-key}
     */
    record Check(@NotNull URI url, @NotNull String auth) {
    }
}
