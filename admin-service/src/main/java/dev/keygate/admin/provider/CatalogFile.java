package dev.keygate.admin.provider;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.springframework.core.io.Resource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads the predefined catalog (models.yaml). Strict: an unknown key, a duplicate name or a malformed URL stops the
 * start with a message naming the entry, because a typo here would otherwise route calls wrongly or bill them at 0.
 */
final class CatalogFile {

    private static final Set<String> PROVIDER_KEYS = Set.of("name", "display_name", "kind", "base_url", "auth_scheme",
            "auth_param", "models");
    private static final Set<String> MODEL_KEYS = Set.of("name", "display_name", "pricing");
    private static final Set<String> PRICING_KEYS = Set.of("input", "output", "cache_read", "cache_write");

    /** A provider as models.yaml defines it. */
    record PredefinedProvider(String name, String displayName, ProviderKind kind, URI baseUrl, AuthScheme authScheme,
                              String authParam, List<PredefinedModel> models) {
    }

    /** A model as models.yaml defines it; {@code pricing} is {@code null} when the file gives none. */
    record PredefinedModel(String name, String displayName, Pricing pricing) {
    }

    private CatalogFile() {
    }

    static List<PredefinedProvider> load(Resource resource) {
        try (InputStream in = resource.getInputStream()) {
            return parse(in, resource.getDescription());
        }
        catch (IOException ex) {
            throw new IllegalStateException("Cannot read the provider catalog " + resource.getDescription()
                    + "; set keygate.catalog.location to a readable models.yaml", ex);
        }
    }

    static List<PredefinedProvider> parse(InputStream in, String source) {
        Object root;
        try {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        }
        catch (YAMLException ex) {
            throw new IllegalStateException(source + " is not valid YAML: " + ex.getMessage(), ex);
        }
        if (!(root instanceof Map<?, ?> top) || !(top.get("providers") instanceof List<?> entries)) {
            throw new IllegalStateException(source + " must have a top-level 'providers' list");
        }
        List<PredefinedProvider> providers = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < entries.size(); i++) {
            PredefinedProvider provider = provider(entries.get(i), source + ": providers[" + i + "]");
            if (!names.add(provider.name())) {
                throw new IllegalStateException(source + ": provider '" + provider.name() + "' is defined twice");
            }
            providers.add(provider);
        }
        return List.copyOf(providers);
    }

    private static PredefinedProvider provider(Object entry, String at) {
        Map<?, ?> map = map(entry, at, PROVIDER_KEYS);
        String name = string(map, "name", at, true);
        if (!CatalogNames.isProviderName(name)) {
            throw new IllegalStateException(at + ".name '" + name + "': " + CatalogNames.PROVIDER_NAME_RULE);
        }
        String displayName = string(map, "display_name", at, false);
        String kindText = string(map, "kind", at, false);
        ProviderKind kind = kindText == null ? ProviderKind.LLM : ProviderKind.fromWire(kindText)
                .orElseThrow(() -> new IllegalStateException(at + ".kind must be 'llm' or 'tool'"));
        URI baseUrl = baseUrl(string(map, "base_url", at, true), at + ".base_url");
        String schemeText = string(map, "auth_scheme", at, true);
        AuthScheme scheme = AuthScheme.fromWire(schemeText).orElseThrow(() -> new IllegalStateException(
                at + ".auth_scheme '" + schemeText + "' is not one of " + AuthScheme.allowed()));
        String authParam;
        try {
            authParam = CatalogNames.authParam(scheme, string(map, "auth_param", at, false));
        }
        catch (IllegalArgumentException ex) {
            throw new IllegalStateException(at + ": " + ex.getMessage());
        }
        List<PredefinedModel> models = new ArrayList<>();
        Object modelEntries = map.get("models");
        if (modelEntries != null) {
            if (!(modelEntries instanceof List<?> list)) {
                throw new IllegalStateException(at + ".models must be a list");
            }
            Set<String> modelNames = new HashSet<>();
            for (int i = 0; i < list.size(); i++) {
                PredefinedModel model = model(list.get(i), at + ".models[" + i + "]");
                if (!modelNames.add(model.name())) {
                    throw new IllegalStateException(at + ": model '" + model.name() + "' is defined twice");
                }
                models.add(model);
            }
        }
        return new PredefinedProvider(name, displayName == null ? name : displayName, kind, baseUrl, scheme,
                authParam, List.copyOf(models));
    }

    private static PredefinedModel model(Object entry, String at) {
        Map<?, ?> map = map(entry, at, MODEL_KEYS);
        String name = string(map, "name", at, true);
        if (!CatalogNames.isModelName(name)) {
            throw new IllegalStateException(at + ".name '" + name + "': " + CatalogNames.MODEL_NAME_RULE);
        }
        String displayName = string(map, "display_name", at, false);
        Pricing pricing = null;
        if (map.get("pricing") != null) {
            String priceAt = at + ".pricing";
            Map<?, ?> prices = map(map.get("pricing"), priceAt, PRICING_KEYS);
            pricing = new Pricing(price(prices, "input", priceAt, true), price(prices, "output", priceAt, true),
                    price(prices, "cache_read", priceAt, false), price(prices, "cache_write", priceAt, false));
            if (pricing.invalidPart() != null) {
                throw new IllegalStateException(priceAt + " must hold prices from 0 to 100000 with at most 6 decimals");
            }
        }
        return new PredefinedModel(name, displayName == null ? name : displayName, pricing);
    }

    private static Map<?, ?> map(Object entry, String at, Set<String> allowedKeys) {
        if (!(entry instanceof Map<?, ?> map)) {
            throw new IllegalStateException(at + " must be a mapping");
        }
        for (Object key : map.keySet()) {
            if (!allowedKeys.contains(String.valueOf(key))) {
                throw new IllegalStateException(at + " has unknown key '" + key + "'; allowed: "
                        + allowedKeys.stream().sorted().toList());
            }
        }
        return map;
    }

    private static String string(Map<?, ?> map, String key, String at, boolean required) {
        Object value = map.get(key);
        if (value == null || String.valueOf(value).isBlank()) {
            if (required) {
                throw new IllegalStateException(at + "." + key + " is required");
            }
            return null;
        }
        if (value instanceof Map || value instanceof List) {
            throw new IllegalStateException(at + "." + key + " must be a plain value");
        }
        return String.valueOf(value).strip();
    }

    private static BigDecimal price(Map<?, ?> map, String key, String at, boolean required) {
        Object value = map.get(key);
        if (value == null) {
            if (required) {
                throw new IllegalStateException(at + "." + key + " is required (USD per million tokens)");
            }
            return null;
        }
        if (!(value instanceof Number)) {
            throw new IllegalStateException(at + "." + key + " must be a number (USD per million tokens)");
        }
        return new BigDecimal(value.toString());
    }

    private static URI baseUrl(String text, String at) {
        try {
            URI uri = new URI(text);
            if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null
                    || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
                throw new IllegalStateException(at + " '" + text
                        + "' must be an http(s) URL with a host and no credentials, query or fragment");
            }
            return uri;
        }
        catch (URISyntaxException ex) {
            throw new IllegalStateException(at + " '" + text + "' is not a URL: " + ex.getReason(), ex);
        }
    }
}
