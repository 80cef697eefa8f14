package dev.keygate.oidc;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.oauth2.jwt.JwtDecoder;

/**
 * The servlet services' {@link JwtDecoder} ({@link RealmTokenDecoder}), from the same properties Spring Boot's own
 * would use, plus {@code keygate.oidc.*}:
 * <ul>
 *   <li>{@code spring.security.oauth2.resourceserver.jwt.issuer-uri} and {@code .audiences}: what tokens must name;</li>
 *   <li>{@code keygate.oidc.internal-url} ({@code KEYGATE_OIDC_INTERNAL_URL}): the realm as the service reaches it,
 *       e.g. {@code http://keycloak.keygate.svc:8080/realms/keygate}; the issuer when empty;</li>
 *   <li>{@code keygate.oidc.keys-cache} (5m) and {@code keygate.oidc.keys-outage-tolerance} (12h).</li>
 * </ul>
 * No request reaches Keycloak at start-up: the keys are fetched on the first token.
 */
@Configuration(proxyBeanMethods = false)
public class RealmTokenConfiguration {

    @Bean
    JwtDecoder jwtDecoder(@Value("${spring.security.oauth2.resourceserver.jwt.issuer-uri}") URI issuer,
                          @Value("${spring.security.oauth2.resourceserver.jwt.audiences:}") List<String> audiences,
                          @Value("${keygate.oidc.internal-url:}") String internalUrl,
                          @Value("${keygate.oidc.keys-cache:5m}") Duration cache,
                          @Value("${keygate.oidc.keys-outage-tolerance:12h}") Duration outageTolerance) {
        URI internal = internalUrl.isBlank() ? issuer : URI.create(internalUrl);
        return RealmTokenDecoder.create(issuer, internal, audiences, cache, outageTolerance);
    }
}
