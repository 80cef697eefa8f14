package dev.keygate.proxy.clientauth;

import org.springframework.security.oauth2.jwt.BadJwtException;
import reactor.core.publisher.Mono;

/** Builds a real {@link CallerAuthenticator} over a directory for tests in other packages; every JWT is refused. */
public final class TestCallers {

    private TestCallers() {
    }

    public static CallerAuthenticator authenticator(ProxyKeyDirectory directory) {
        return new CallerAuthenticator(directory, token -> Mono.error(new BadJwtException("not a token")));
    }

    public static String sha256(String text) {
        return CallerAuthenticator.sha256(text);
    }
}
