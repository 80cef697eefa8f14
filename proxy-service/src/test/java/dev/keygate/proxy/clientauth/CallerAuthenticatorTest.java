package dev.keygate.proxy.clientauth;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import dev.keygate.proxy.system.ProxyProblems;
import org.junit.jupiter.api.Test;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

class CallerAuthenticatorTest {

    // Never fetched: the tokens below fail before any key lookup.
    private final CallerAuthenticator callers = new CallerAuthenticator(new ProxyKeyDirectory(),
            NimbusReactiveJwtDecoder.withJwkSetUri("http://127.0.0.1:9/jwks").build());

    @Test
    void aProvidersOwnKeyInsteadOfAProxyKeyIsRejectedAsACredentialNotThrown() {
        MockServerHttpRequest request = MockServerHttpRequest.post("/api/proxy/openai/v1/chat/completions")
                .header("Authorization", "Bearer sk-proj-not-a-keygate-credential").build();

        StepVerifier.create(callers.authenticate(request))
                .expectErrorSatisfies(error -> assertThat(error)
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
    void aWellFormedTokenWhoseKeysCannotBeFetchedIsAnIdentityProviderOutageNotABadCredential() {
        // Port 9 on loopback refuses the connection, as an unreachable Keycloak does.
        String header = base64Url("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"realm-key-1\"}");
        String claims = base64Url("{\"iss\":\"http://127.0.0.1:9/realms/keygate\",\"sub\":\"alice\","
                + "\"exp\":4102444800}");
        MockServerHttpRequest request = MockServerHttpRequest.post("/api/proxy/openai/v1/chat/completions")
                .header("Authorization", "Bearer " + header + "." + claims + "." + base64Url("signature")).build();

        StepVerifier.create(callers.authenticate(request))
                .expectErrorSatisfies(error -> assertThat(error)
                        .isInstanceOf(IdentityProviderUnreachableException.class)
                        .hasMessageContaining("Keycloak could not be reached"))
                .verify();
        assertThat(ProxyProblems.callerRejected(new IdentityProviderUnreachableException()).status().value())
                .isEqualTo(503);
        assertThat(ProxyProblems.callerRejected(new CallerRejectedException("bad")).status().value()).isEqualTo(401);
    }

    private static String base64Url(String text) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void anEnvelopeWithoutAProxyKeyIsRejected() {
        StepVerifier.create(callers.authenticateProxyKey(null)).expectError(CallerRejectedException.class).verify();
        StepVerifier.create(callers.authenticateProxyKey("sk-live-123")).expectError(CallerRejectedException.class)
                .verify();
    }
}
