package dev.keygate.keyvault.access;

import java.util.Map;

import jakarta.validation.constraints.NotEmpty;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * Which certificate identity (the SAN URI of the client certificate, e.g. {@code spiffe://keygate/proxy-service})
 * may do what. An identity not listed here is refused, even with a certificate from the trusted CA.
 */
@Validated
@ConfigurationProperties("keygate.keyvault.access")
record AccessProperties(@NotEmpty Map<String, Permission> identities) {

    enum Permission {
        /** Decrypt keys for proxied calls. */
        RESOLVE,
        /** Store, replace, delete keys and read their metadata and audit; never plaintext. */
        MANAGE,
        /** Operate the master keyring: reload, promote, re-wrap, retire. Never plaintext. */
        OPERATE
    }
}
