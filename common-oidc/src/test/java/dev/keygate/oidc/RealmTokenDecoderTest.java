package dev.keygate.oidc;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.JwtValidationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link RealmTokenDecoder} against a JWK set served on loopback that the test takes away, as an outage would. */
class RealmTokenDecoderTest {

    private static final String ISSUER = "https://auth.example.test/realms/keygate";
    private static final Duration CACHE = Duration.ofMillis(300);

    private final AtomicInteger fetches = new AtomicInteger();
    private RSAKey signingKey;
    private HttpServer keycloak;
    private URI internalRealm;

    @BeforeEach
    void serveTheRealmsKeys() throws Exception {
        signingKey = new RSAKeyGenerator(2048).keyID("realm-key-1").generate();
        keycloak = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        byte[] jwks = new JWKSet(signingKey.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        keycloak.createContext("/realms/keygate/protocol/openid-connect/certs", exchange -> {
            fetches.incrementAndGet();
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, jwks.length);
            try (OutputStream body = exchange.getResponseBody()) {
                body.write(jwks);
            }
        });
        keycloak.start();
        internalRealm = URI.create("http://127.0.0.1:" + keycloak.getAddress().getPort() + "/realms/keygate");
    }

    @AfterEach
    void stopKeycloak() {
        keycloak.stop(0);
    }

    @Test
    void keepsVerifyingTokensWithTheLastFetchedKeysWhileKeycloakIsUnreachable() throws Exception {
        JwtDecoder decoder = decoder(Duration.ofHours(12));
        String token = token(signingKey, ISSUER, "keygate-api");
        assertThat(decoder.decode(token).getSubject()).isEqualTo("alice");

        keycloak.stop(0);
        // Several cache lifetimes pass while Keycloak is away; every one of them ends in a failed refresh.
        long until = System.nanoTime() + CACHE.multipliedBy(5).toNanos();
        int verified = 0;
        while (System.nanoTime() < until) {
            assertThat(decoder.decode(token).getSubject()).isEqualTo("alice");
            verified++;
        }
        assertThat(verified).isPositive();
    }

    @Test
    void withoutOutageToleranceTheSameOutageRefusesValidTokens() throws Exception {
        // What Spring Security's default decoder does once its cache expires; proves the test above can fail.
        JwtDecoder decoder = decoder(Duration.ZERO);
        String token = token(signingKey, ISSUER, "keygate-api");
        decoder.decode(token);

        keycloak.stop(0);
        long until = System.nanoTime() + CACHE.multipliedBy(5).toNanos();
        JwtException refused = null;
        while (refused == null && System.nanoTime() < until) {
            try {
                decoder.decode(token);
            }
            catch (JwtException ex) {
                refused = ex;
            }
        }
        assertThat(refused).as("refused once the cache expired").isNotNull().isNotInstanceOf(BadJwtException.class);
    }

    @Test
    void aServiceThatNeverReachedKeycloakCannotVerifyAndSaysSoRatherThanCallingTheTokenBad() throws Exception {
        keycloak.stop(0);
        JwtDecoder decoder = decoder(Duration.ofHours(12));
        // Not a BadJwtException: Spring Security turns this into an AuthenticationServiceException, which the
        // services answer with 503 "sign-in service unreachable" instead of 401 "sign in again".
        assertThatThrownBy(() -> decoder.decode(token(signingKey, ISSUER, "keygate-api")))
                .isInstanceOf(JwtException.class)
                .isNotInstanceOf(BadJwtException.class);
    }

    @Test
    void checksIssuerAudienceAndSignatureAsBootDoes() throws Exception {
        JwtDecoder decoder = decoder(Duration.ofHours(12));
        assertThatThrownBy(() -> decoder.decode(token(signingKey, "https://elsewhere.test/realms/keygate", "keygate-api")))
                .isInstanceOf(JwtValidationException.class).hasMessageContaining("iss");
        assertThatThrownBy(() -> decoder.decode(token(signingKey, ISSUER, "another-api")))
                .isInstanceOf(JwtValidationException.class).hasMessageContaining("aud");
        RSAKey forged = new RSAKeyGenerator(2048).keyID(signingKey.getKeyID()).generate();
        assertThatThrownBy(() -> decoder.decode(token(forged, ISSUER, "keygate-api")))
                .isInstanceOf(BadJwtException.class);
    }

    @Test
    void tokensWithUnknownKeyIdsDoNotTurnIntoOneKeycloakRequestEach() throws Exception {
        // Production's cache (5 min) throttles refreshes to one per 10 s.
        JwtDecoder decoder = RealmTokenDecoder.create(URI.create(ISSUER), internalRealm, List.of("keygate-api"),
                Duration.ofMinutes(5), Duration.ofHours(12));
        decoder.decode(token(signingKey, ISSUER, "keygate-api"));
        int before = fetches.get();
        RSAKey forged = new RSAKeyGenerator(2048).generate();
        for (int i = 0; i < 50; i++) {
            RSAKey unknown = new RSAKey.Builder(forged).keyID("forged-" + i).build();
            assertThatThrownBy(() -> decoder.decode(token(unknown, ISSUER, "keygate-api")))
                    .isInstanceOf(BadJwtException.class);
        }
        assertThat(fetches.get() - before).as("JWK set fetches for 50 unknown key ids").isLessThanOrEqualTo(1);
        assertThat(decoder.decode(token(signingKey, ISSUER, "keygate-api")).getSubject()).isEqualTo("alice");
    }

    private JwtDecoder decoder(Duration outageTolerance) {
        return RealmTokenDecoder.create(URI.create(ISSUER), internalRealm, List.of("keygate-api"), CACHE,
                outageTolerance);
    }

    private static String token(RSAKey key, String issuer, String audience) throws JOSEException {
        Instant now = Instant.now();
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer).subject("alice").audience(audience)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(300))).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

}
