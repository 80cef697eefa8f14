package dev.keygate.proxy.keylease;

import java.net.URI;
import java.time.Duration;

import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * Where keyvault is and how long a lease may take.
 *
 * @param url keyvault's mTLS address
 * @param timeout the most a key lookup may add to a call before it is refused with 503
 */
@Validated
@ConfigurationProperties("keygate.proxy.keyvault")
record KeyLeaseProperties(@NotNull URI url, @NotNull Duration timeout) {
}
