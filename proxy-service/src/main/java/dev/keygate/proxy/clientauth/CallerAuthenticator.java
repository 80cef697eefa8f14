package dev.keygate.proxy.clientauth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.web.reactive.function.client.WebClientException;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Finds the caller's credential wherever the provider's own SDK puts it ({@code Authorization: Bearer},
 * {@code x-api-key}, {@code x-goog-api-key}, Brave's {@code X-Subscription-Token}, {@code ?key=}) and turns it into a {@link Caller}: a {@code px_} key
 * through the in-memory directory, anything else as a Keycloak access token.
 */
@Component
public class CallerAuthenticator {

    public static final String PROXY_KEY_PREFIX = "px_";
    private static final List<String> KEY_HEADERS = List.of("x-api-key", "x-goog-api-key", "x-subscription-token");
    private static final HexFormat HEX = HexFormat.of();
    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(CallerAuthenticator::newSha256);

    private final ProxyKeyDirectory directory;
    private final ReactiveJwtDecoder tokens;

    CallerAuthenticator(ProxyKeyDirectory directory, ReactiveJwtDecoder tokens) {
        this.directory = directory;
        this.tokens = tokens;
    }

    /** Completes with the caller, or errors with {@link CallerRejectedException}. */
    public Mono<Caller> authenticate(ServerHttpRequest request) {
        String credential = credential(request);
        if (credential == null) {
            return Mono.error(new CallerRejectedException("No credential: send your Keygate proxy key (px_...) "
                    + "where your SDK sends its API key, or a Keycloak access token as 'Authorization: Bearer'."));
        }
        if (credential.startsWith(PROXY_KEY_PREFIX)) {
            return authenticateProxyKey(credential);
        }
        // Deferred: the decoder throws at once for anything that is not a JWT (say, a provider's own key pasted
        // into the SDK), and that must be a 401, not an error escaping the handler.
        return Mono.defer(() -> tokens.decode(credential))
                .map(CallerAuthenticator::fromToken)
                // Checked first: the decoder reports a failed key fetch as an IllegalStateException, not a JwtException.
                .onErrorMap(CallerAuthenticator::keysUnreachable, ex -> new IdentityProviderUnreachableException())
                .onErrorMap(JwtException.class, ex -> new CallerRejectedException(
                        "Invalid credential: neither a Keygate proxy key (px_...) nor a valid Keycloak access token."));
    }

    /**
     * The caller of a {@code px_} key given in a request body (seed 001's envelope), or
     * {@link CallerRejectedException}.
     */
    public Mono<Caller> authenticateProxyKey(String proxyKey) {
        if (proxyKey == null || proxyKey.isBlank()) {
            return Mono.error(new CallerRejectedException("No proxy key: send your Keygate proxy key (px_...) as "
                    + "'proxy_key'."));
        }
        if (!proxyKey.startsWith(PROXY_KEY_PREFIX)) {
            return Mono.error(new CallerRejectedException("Invalid proxy key: Keygate proxy keys start with 'px_'."));
        }
        return Mono.justOrEmpty(directory.find(sha256(proxyKey)))
                .switchIfEmpty(Mono.error(new CallerRejectedException(
                        "Invalid proxy key: it is unknown, revoked or expired. Create a new one in Keygate.")));
    }

    /** Not a bad token but a failed fetch of the realm's keys (connection refused, timeout, HTTP error). */
    private static boolean keysUnreachable(Throwable ex) {
        if (ex instanceof BadJwtException) {
            return false;
        }
        for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
            if (cause instanceof WebClientException || cause instanceof IOException) {
                return true;
            }
        }
        return false;
    }

    private static Caller fromToken(Jwt jwt) {
        String tenant = jwt.getClaimAsString("tenant_id");
        if (tenant == null || tenant.isBlank()) {
            throw new CallerRejectedException("Your account has no tenant; ask a platform admin to set one.");
        }
        return new Caller(tenant, jwt.getSubject(), Caller.Kind.USER_TOKEN, null, Set.of());
    }

    /** The credential, or {@code null}; the order follows the providers' SDKs. */
    public static String credential(ServerHttpRequest request) {
        HttpHeaders headers = request.getHeaders();
        String authorization = headers.getFirst(HttpHeaders.AUTHORIZATION);
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String token = authorization.substring(7).strip();
            if (!token.isEmpty()) {
                return token;
            }
        }
        for (String name : KEY_HEADERS) {
            String value = headers.getFirst(name);
            if (value != null && !value.isBlank()) {
                return value.strip();
            }
        }
        Map<String, List<String>> query = request.getQueryParams();
        List<String> key = query.get("key");
        return key == null || key.isEmpty() || key.get(0).isBlank() ? null : key.get(0);
    }

    static String sha256(String key) {
        // digest() resets the instance, so each thread reuses one instead of a provider lookup per call.
        return HEX.formatHex(SHA_256.get().digest(key.getBytes(StandardCharsets.UTF_8)));
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
