package dev.keygate.proxy.limits;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which browser origins may call the proxy, per tenant. A preflight carries no credential, so it is answered for
 * an origin some tenant allows; the call itself is then admitted only for the caller's own tenant's origins.
 * {@code *} is never honoured, and no answer ever allows credentials (callers send keys as headers, not cookies).
 */
final class CorsPolicy {

    private final Map<String, Set<String>> byTenant;
    private final Set<String> any;

    CorsPolicy(LimitsProperties.Cors cors) {
        this.byTenant = cors.allowedOrigins().entrySet().stream().collect(Collectors.toUnmodifiableMap(
                Map.Entry::getKey, entry -> exact(entry.getValue())));
        Set<String> union = new HashSet<>();
        byTenant.values().forEach(union::addAll);
        this.any = Set.copyOf(union);
    }

    boolean allowsAnyTenant(String origin) {
        return any.contains(normalise(origin));
    }

    boolean allows(String tenantId, String origin) {
        return byTenant.getOrDefault(tenantId, Set.of()).contains(normalise(origin));
    }

    private static Set<String> exact(List<String> origins) {
        return origins.stream().map(CorsPolicy::normalise).filter(o -> !o.equals("*") && !o.equals("null"))
                .collect(Collectors.toUnmodifiableSet());
    }

    private static String normalise(String origin) {
        String trimmed = origin.strip();
        return trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
    }
}
