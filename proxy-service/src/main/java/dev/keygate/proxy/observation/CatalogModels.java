package dev.keygate.proxy.observation;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.keygate.contracts.admin.v1.ModelPriced;

/**
 * The predefined models of the catalog per provider, as admin-service prices them: the only model names that become
 * metric tags. A tenant's own models and anything a caller makes up are {@code other}, so a tag can neither grow
 * without bound nor name a tenant.
 */
final class CatalogModels {

    static final String OTHER = "other";
    static final String NONE = "none";
    /** Raw model names remembered with their tag; past this, names are resolved each time instead. */
    private static final int MAX_REMEMBERED = 4096;

    private final Map<String, Set<String>> byProvider = new ConcurrentHashMap<>();
    private final Map<String, String> resolved = new ConcurrentHashMap<>();

    void apply(ModelPriced price) {
        if (price.tenantId() != null) {
            return;
        }
        if (byProvider.computeIfAbsent(price.provider(), provider -> ConcurrentHashMap.newKeySet())
                .add(price.model())) {
            resolved.clear();
        }
    }

    /**
     * The tag for a model a provider answered with: the catalog's name, also for one of its dated snapshots
     * ({@code gpt-4o-mini-2024-07-18} → {@code gpt-4o-mini}), {@code none} without a model, else {@code other}.
     */
    String tag(String provider, String model) {
        if (model == null || model.isEmpty()) {
            return NONE;
        }
        String key = provider + '\u0000' + model;
        String tag = resolved.get(key);
        if (tag != null) {
            return tag;
        }
        tag = resolve(provider, model);
        if (resolved.size() < MAX_REMEMBERED) {
            resolved.put(key, tag);
        }
        return tag;
    }

    private String resolve(String provider, String model) {
        Set<String> models = byProvider.get(provider);
        if (models == null) {
            return OTHER;
        }
        if (models.contains(model)) {
            return model;
        }
        String best = null;
        for (String known : models) {
            if (model.startsWith(known) && model.length() > known.length() && model.charAt(known.length()) == '-'
                    && (best == null || known.length() > best.length())) {
                best = known;
            }
        }
        return best == null ? OTHER : best;
    }
}
