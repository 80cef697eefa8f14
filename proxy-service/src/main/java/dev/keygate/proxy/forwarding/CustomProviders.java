package dev.keygate.proxy.forwarding;

import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import dev.keygate.contracts.admin.v1.ProviderChanged;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Tenants' own (custom, by default OpenAI-compatible) providers, as admin-service announces them: a call to
 * {@code /api/proxy/{name}/**} whose name is not a predefined provider is routed to the caller's tenant's provider
 * of that name. Base URLs were checked against admin-service's SSRF policy when they were set; another tenant's
 * provider of the same name is never reachable.
 */
@Component
class CustomProviders {

    private static final Logger log = LoggerFactory.getLogger(CustomProviders.class);

    private final Map<String, ProxyProperties.Provider> byTenantAndName = new ConcurrentHashMap<>();

    void apply(ProviderChanged change) {
        String key = key(change.tenantId(), change.name());
        if (change.deleted()) {
            byTenantAndName.remove(key);
            return;
        }
        Optional<ProxyProperties.AuthScheme> scheme = scheme(change.authScheme(), change.authParam());
        if (scheme.isEmpty()) {
            byTenantAndName.remove(key);
            log.warn("Provider '{}' of tenant {} uses auth scheme {}({}), which the proxy cannot inject yet; its calls"
                    + " are refused as unknown", change.name(), change.tenantId(), change.authScheme(),
                    change.authParam());
            return;
        }
        byTenantAndName.put(key, new ProxyProperties.Provider(URI.create(change.baseUrl()), scheme.get()));
    }

    Optional<ProxyProperties.Provider> find(String tenantId, String name) {
        return Optional.ofNullable(byTenantAndName.get(key(tenantId, name)));
    }

    private static Optional<ProxyProperties.AuthScheme> scheme(String wire, String param) {
        if (wire == null) {
            return Optional.empty();
        }
        switch (wire) {
            case "bearer":
                return Optional.of(ProxyProperties.AuthScheme.BEARER);
            case "x-api-key":
                return Optional.of(ProxyProperties.AuthScheme.X_API_KEY);
            case "x-goog-api-key":
                return Optional.of(ProxyProperties.AuthScheme.X_GOOG_API_KEY);
            case "query-param":
                return param == null || "key".equals(param) ? Optional.of(ProxyProperties.AuthScheme.QUERY_KEY)
                        : Optional.empty();
            case "header":
                return "x-api-key".equalsIgnoreCase(param) ? Optional.of(ProxyProperties.AuthScheme.X_API_KEY)
                        : "x-subscription-token".equalsIgnoreCase(param)
                        ? Optional.of(ProxyProperties.AuthScheme.X_SUBSCRIPTION_TOKEN)
                        : "x-goog-api-key".equalsIgnoreCase(param)
                        ? Optional.of(ProxyProperties.AuthScheme.X_GOOG_API_KEY) : Optional.empty();
            default:
                return Optional.empty();
        }
    }

    private static String key(String tenantId, String name) {
        return tenantId + '\u0000' + name;
    }
}
