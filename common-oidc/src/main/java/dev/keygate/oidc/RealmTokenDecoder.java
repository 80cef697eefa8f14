package dev.keygate.oidc;

import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import com.nimbusds.jose.jwk.source.CachingJWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSetBasedJWKSource;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.OutageTolerantJWKSetSource;
import com.nimbusds.jose.jwk.source.RetryingJWKSetSource;
import com.nimbusds.jose.jwk.source.URLBasedJWKSetSource;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;

/**
 * A {@link JwtDecoder} for access tokens of one Keycloak realm that keeps working while Keycloak is unreachable.
 * <p>
 * Spring Security's default decoder forgets the realm's signing keys five minutes after fetching them, so a Keycloak
 * outage longer than that refuses every valid token. This one fetches the keys from the realm's internal URL (which may
 * differ from the public issuer the tokens name), caches them for {@code cache}, and when a refresh fails keeps serving
 * the keys it last fetched for up to {@code outageTolerance}; tokens still expire on their own {@code exp}. Refreshes
 * (also those a token with an unknown key id causes) are throttled to one per 10 s, so a flood of forged tokens does not become a
 * flood of requests to Keycloak. The issuer and, when given, the audience are checked as Spring Boot checks them.
 */
public final class RealmTokenDecoder {

    private static final int CONNECT_TIMEOUT_MS = 2_000;
    private static final int READ_TIMEOUT_MS = 5_000;
    private static final int SIZE_LIMIT_BYTES = 512 * 1024;
    private static final long REFRESH_TIMEOUT_MS = 15_000;
    private static final long MIN_REFRESH_INTERVAL_MS = 10_000;

    private RealmTokenDecoder() {
    }

    /**
     * @param issuer          the realm's public issuer, as its tokens name it in {@code iss}
     * @param internalRealm   the realm's URL as this service reaches Keycloak; the JWK set is at
     *                        {@code <internalRealm>/protocol/openid-connect/certs}
     * @param audiences       accepted {@code aud} values (one must be present); empty accepts any audience
     * @param cache           how long fetched keys are used before they are fetched again
     * @param outageTolerance how long the last fetched keys stay in use while fetching fails
     */
    public static JwtDecoder create(URI issuer, URI internalRealm, List<String> audiences, Duration cache,
                                    Duration outageTolerance) {
        NimbusJwtDecoder decoder = NimbusJwtDecoder.withJwkSource(keys(internalRealm, cache, outageTolerance))
                .jwsAlgorithm(SignatureAlgorithm.RS256)
                .build();
        decoder.setJwtValidator(validator(issuer, audiences));
        return decoder;
    }

    /**
     * The reactive counterpart for proxy-service: keys from the realm's internal URL, held until a token names a key
     * id they lack (Spring Security's reactive key source refetches only then, so an outage does not expire them).
     */
    public static ReactiveJwtDecoder reactive(URI issuer, URI internalRealm, List<String> audiences) {
        NimbusReactiveJwtDecoder decoder = NimbusReactiveJwtDecoder.withJwkSetUri(jwkSetUrl(internalRealm).toString())
                .jwsAlgorithm(SignatureAlgorithm.RS256)
                .build();
        decoder.setJwtValidator(validator(issuer, audiences));
        return decoder;
    }

    /** Timestamps, issuer and audience, as Spring Boot's own decoder checks them. */
    static OAuth2TokenValidator<Jwt> validator(URI issuer, List<String> audiences) {
        List<OAuth2TokenValidator<Jwt>> validators = new ArrayList<>();
        validators.add(new JwtIssuerValidator(issuer.toString()));
        if (!audiences.isEmpty()) {
            validators.add(new JwtClaimValidator<List<String>>(JwtClaimNames.AUD,
                    audience -> audience != null && !Collections.disjoint(audience, audiences)));
        }
        return JwtValidators.createDefaultWithValidators(validators);
    }

    /**
     * Cache, then outage tolerance, then the throttle, then one retry, then the URL: a refresh the throttle refuses
     * (or Keycloak fails) is answered from the last keys fetched, so neither an outage nor a flood of unknown key ids
     * reaches the tokens that verified before. Nimbus's own builder puts its rate limiter outside the outage tolerance,
     * so there a refused refresh fails even valid tokens.
     */
    static JWKSource<SecurityContext> keys(URI internalRealm, Duration cache, Duration outageTolerance) {
        long cacheMs = cache.toMillis();
        JWKSetSource<SecurityContext> fetch = new URLBasedJWKSetSource<>(jwkSetUrl(internalRealm),
                new DefaultResourceRetriever(CONNECT_TIMEOUT_MS, READ_TIMEOUT_MS, SIZE_LIMIT_BYTES));
        JWKSetSource<SecurityContext> retried = new RetryingJWKSetSource<>(fetch, null);
        JWKSetSource<SecurityContext> throttled = new ThrottledJWKSetSource<>(retried,
                Math.min(MIN_REFRESH_INTERVAL_MS, cacheMs / 2));
        JWKSetSource<SecurityContext> tolerant = new OutageTolerantJWKSetSource<>(throttled,
                outageTolerance.toMillis(), null);
        return new JWKSetBasedJWKSource<>(new CachingJWKSetSource<>(tolerant, cacheMs,
                Math.min(REFRESH_TIMEOUT_MS, cacheMs / 2), null));
    }

    static URL jwkSetUrl(URI internalRealm) {
        String realm = internalRealm.toString();
        realm = realm.endsWith("/") ? realm.substring(0, realm.length() - 1) : realm;
        try {
            return URI.create(realm + "/protocol/openid-connect/certs").toURL();
        }
        catch (MalformedURLException ex) {
            throw new IllegalArgumentException("Not a URL: " + internalRealm, ex);
        }
    }
}
