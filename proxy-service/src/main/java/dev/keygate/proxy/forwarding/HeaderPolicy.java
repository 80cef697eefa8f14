package dev.keygate.proxy.forwarding;

import java.util.Locale;
import java.util.Set;

import org.springframework.http.HttpHeaders;

/**
 * Which headers cross the proxy. Upstream: the client's own headers minus hop-by-hop headers, every credential
 * and cookie, forwarding headers and {@code Accept-Encoding} (answers are metered, so they travel uncompressed);
 * then the real key in the provider's scheme. The body is passed unchanged, so its length is kept. Downstream: the provider's headers minus hop-by-hop ones.
 */
final class HeaderPolicy {

    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");
    private static final Set<String> NOT_UPSTREAM = Set.of("host", "authorization", "x-api-key",
            "x-goog-api-key", "api-key", "cookie", "forwarded", "x-forwarded-for", "x-forwarded-host",
            "x-forwarded-proto", "x-forwarded-port", "x-real-ip", "accept-encoding", "origin", "referer",
            "x-hardware-id", "x-subscription-token");
    private static final Set<String> NOT_DOWNSTREAM = Set.of("set-cookie", "alt-svc", "strict-transport-security");

    private HeaderPolicy() {
    }

    static void copyUpstream(HttpHeaders from, HttpHeaders to, ProxyProperties.AuthScheme scheme, String key) {
        from.forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(lower) && !NOT_UPSTREAM.contains(lower)) {
                to.addAll(name, values);
            }
        });
        switch (scheme) {
            case BEARER -> to.set(HttpHeaders.AUTHORIZATION, "Bearer " + key);
            case X_API_KEY -> to.set("x-api-key", key);
            case X_GOOG_API_KEY -> to.set("x-goog-api-key", key);
            case X_SUBSCRIPTION_TOKEN -> to.set("X-Subscription-Token", key);
            case QUERY_KEY -> { }
        }
    }

    static void copyDownstream(HttpHeaders from, HttpHeaders to) {
        from.forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(lower) && !NOT_DOWNSTREAM.contains(lower)) {
                to.addAll(name, values);
            }
        });
    }
}
