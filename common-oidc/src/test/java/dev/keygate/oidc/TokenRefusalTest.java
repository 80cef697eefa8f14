package dev.keygate.oidc;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.authentication.InsufficientAuthenticationException;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;

import static org.assertj.core.api.Assertions.assertThat;

class TokenRefusalTest {

    @Test
    void keysThatCouldNotBeFetchedAreAnOutageToRetryNotASignInToRepeat() {
        TokenRefusal refusal = TokenRefusal.of(new AuthenticationServiceException("Connection refused"));

        assertThat(refusal.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(refusal.slug()).isEqualTo("identity-provider-unreachable");
        assertThat(refusal.detail()).contains("Keycloak").doesNotContain("Connection refused");
        assertThat(refusal.headers()).isEqualTo(Map.of("Retry-After", "10"));
    }

    @Test
    void aRefusedTokenIsA401ThatTellsTheClientTheTokenIsInvalid() {
        TokenRefusal refusal = TokenRefusal.of(new InvalidBearerTokenException("Jwt expired at 2026-12-07T10:00:00Z"));

        assertThat(refusal.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(refusal.slug()).isEqualTo("unauthenticated");
        assertThat(refusal.detail()).contains("sign in again");
        assertThat(refusal.headers()).isEqualTo(Map.of("WWW-Authenticate", "Bearer error=\"invalid_token\""));
    }

    @Test
    void noTokenAtAllIsA401ThatSaysWhatToSend() {
        TokenRefusal refusal = TokenRefusal.of(new InsufficientAuthenticationException("Full authentication required"));

        assertThat(refusal.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(refusal.detail()).contains("Authorization: Bearer <token>");
        assertThat(refusal.headers()).isEqualTo(Map.of("WWW-Authenticate", "Bearer"));
    }
}
