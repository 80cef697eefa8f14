package dev.keygate.usage.system;

import java.util.regex.Pattern;

import org.springframework.security.oauth2.jwt.Jwt;

/**
 * The signed-in person, from their Keycloak access token: {@code sub} is the stable user id, {@code tenant_id} the
 * organisation whose usage they may see (a user attribute mapped into the token).
 */
public record Caller(String userId, String tenantId) {

    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public static Caller from(Jwt token) {
        String tenant = token.getClaimAsString("tenant_id");
        if (tenant == null || !TENANT.matcher(tenant).matches()) {
            throw new NoTenantException();
        }
        return new Caller(token.getSubject(), tenant);
    }

    /** The token names no usable tenant: the account is not set up for Keygate yet. */
    public static class NoTenantException extends RuntimeException {
        NoTenantException() {
            super("Your account has no tenant: a platform admin must set the 'tenant' attribute on your Keycloak user.");
        }
    }
}
