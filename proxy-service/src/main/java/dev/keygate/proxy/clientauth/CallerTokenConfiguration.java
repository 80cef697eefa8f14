package dev.keygate.proxy.clientauth;

import java.net.URI;
import java.util.List;

import dev.keygate.oidc.RealmTokenDecoder;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;

/**
 * Verifies product frontends' Keycloak access tokens: issuer and audience as configured under
 * {@code spring.security.oauth2.resourceserver.jwt}, signing keys from the realm's internal URL
 * ({@code keygate.oidc.internal-url}, the issuer when empty). Nothing is fetched at start-up: the keys are fetched on
 * the first token and kept (refetched only for a key id they lack), so a Keycloak outage leaves tokens verifiable.
 */
@Configuration(proxyBeanMethods = false)
class CallerTokenConfiguration {

    @Bean
    ReactiveJwtDecoder callerTokens(@Value("${spring.security.oauth2.resourceserver.jwt.issuer-uri}") URI issuer,
                                    @Value("${spring.security.oauth2.resourceserver.jwt.audiences:}")
                                    List<String> audiences,
                                    @Value("${keygate.oidc.internal-url:}") String internalUrl) {
        return RealmTokenDecoder.reactive(issuer, internalUrl.isBlank() ? issuer : URI.create(internalUrl), audiences);
    }
}
