package dev.keygate.oidc;

import java.util.Map;

import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;

/**
 * How a servlet service answers a request whose bearer token it did not accept: 401 for a missing or refused token,
 * 503 when the token could not be checked at all because Keycloak, which holds the keys that sign tokens, was
 * unreachable (an {@link AuthenticationServiceException}): signing in again would not help the caller then, trying
 * again later does.
 *
 * @param status  the answer's status
 * @param slug    the last segment of the problem type
 * @param title   the problem's title
 * @param detail  what the caller should do
 * @param headers headers the answer carries ({@code WWW-Authenticate} or {@code Retry-After})
 */
public record TokenRefusal(HttpStatus status, String slug, String title, String detail, Map<String, String> headers) {

    public static TokenRefusal of(AuthenticationException ex) {
        if (ex instanceof AuthenticationServiceException) {
            return new TokenRefusal(HttpStatus.SERVICE_UNAVAILABLE, "identity-provider-unreachable",
                    "Sign-in service unreachable", "Keycloak could not be reached to fetch the keys that verify "
                            + "access tokens, so your token cannot be checked now; try again in a few seconds.",
                    Map.of("Retry-After", "10"));
        }
        if (ex instanceof InvalidBearerTokenException) {
            return new TokenRefusal(HttpStatus.UNAUTHORIZED, "unauthenticated", "Sign-in required",
                    "Your access token was refused (expired, not from realm 'keygate', or not for this API); sign in "
                            + "again and send the new token as 'Authorization: Bearer <token>'.",
                    Map.of("WWW-Authenticate", "Bearer error=\"invalid_token\""));
        }
        return new TokenRefusal(HttpStatus.UNAUTHORIZED, "unauthenticated", "Sign-in required",
                "Send a Keycloak access token of realm 'keygate' as 'Authorization: Bearer <token>'.",
                Map.of("WWW-Authenticate", "Bearer"));
    }
}
