package dev.keygate.proxy.clientauth;

import org.junit.jupiter.api.Test;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import reactor.test.StepVerifier;

class CallerAuthenticatorTest {

    // Never fetched: the tokens below fail before any key lookup.
    private final CallerAuthenticator callers = new CallerAuthenticator(new ProxyKeyDirectory(),
            NimbusReactiveJwtDecoder.withJwkSetUri("http://127.0.0.1:9/jwks").build());

    @Test
    void aProvidersOwnKeyInsteadOfAProxyKeyIsRejectedAsACredentialNotThrown() {
        MockServerHttpRequest request = MockServerHttpRequest.post("/api/proxy/openai/v1/chat/completions")
                .header("Authorization", "Bearer sk-proj-not-a-keygate-credential").build();

        StepVerifier.create(callers.authenticate(request))
                .expectErrorSatisfies(error -> org.assertj.core.api.Assertions.assertThat(error)
                        .isInstanceOf(CallerRejectedException.class)
                        .hasMessageContaining("neither a Keygate proxy key")
                        .hasMessageNotContaining("sk-proj-not-a-keygate-credential"))
                .verify();
    }

    @Test
    void aDecoderThatThrowsAtOnceAsItsContractAllowsStillGivesARejectionNotAnEscapedError() {
        CallerAuthenticator strict = new CallerAuthenticator(new ProxyKeyDirectory(), token -> {
            throw new org.springframework.security.oauth2.jwt.BadJwtException("not a JWT");
        });
        MockServerHttpRequest request = MockServerHttpRequest.get("/api/proxy/openai/v1/models")
                .header("x-api-key", "sk-ant-not-a-keygate-credential").build();

        StepVerifier.create(strict.authenticate(request)).expectError(CallerRejectedException.class).verify();
    }

    @Test
    void anEnvelopeWithoutAProxyKeyIsRejected() {
        StepVerifier.create(callers.authenticateProxyKey(null)).expectError(CallerRejectedException.class).verify();
        StepVerifier.create(callers.authenticateProxyKey("sk-live-123")).expectError(CallerRejectedException.class)
                .verify();
    }
}
