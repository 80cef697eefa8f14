package dev.keygate.proxy.keylease;

import java.net.URI;
import java.time.Duration;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Where keyvault is, how long a lease may take and how long a leased key is reused.
 *
 * @param url keyvault's mTLS address
 * @param timeout the most a key lookup may add to a call before it is refused with 503
 * @param cacheTtl how long a resolved key is reused for the same tenant, user and provider; {@code 0s} turns the
 *                 cache off. It bounds how long a key replaced in admin-service keeps being used by this instance
 *                 (admin announces no such change yet; see docs/limits.md)
 * @param cacheMaxEntries the most keys held at once; past it, calls fetch from keyvault without caching
 */
@Validated
@ConfigurationProperties("keygate.proxy.keyvault")
record KeyLeaseProperties(@NotNull URI url, @NotNull Duration timeout,
                          @NotNull @DefaultValue("60s") Duration cacheTtl,
                          @Min(0) @DefaultValue("10000") int cacheMaxEntries) {
}
