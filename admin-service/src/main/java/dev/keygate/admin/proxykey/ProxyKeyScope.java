package dev.keygate.admin.proxykey;

import java.util.List;

import dev.keygate.contracts.admin.v1.ProxyKeyLimits;

/**
 * What a proxy key may call and how much: providers and models (each empty means all) and the key's own limits.
 */
record ProxyKeyScope(List<String> providers, List<String> models, ProxyKeyLimits limits) {

    static final ProxyKeyScope UNLIMITED = new ProxyKeyScope(List.of(), List.of(), ProxyKeyLimits.NONE);

    ProxyKeyScope {
        providers = List.copyOf(providers);
        models = List.copyOf(models);
        limits = limits == null ? ProxyKeyLimits.NONE : limits;
    }

    static ProxyKeyScope providers(List<String> providers) {
        return new ProxyKeyScope(providers, List.of(), ProxyKeyLimits.NONE);
    }
}
