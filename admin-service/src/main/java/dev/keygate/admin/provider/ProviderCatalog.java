package dev.keygate.admin.provider;

import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

import dev.keygate.admin.outbox.Outbox;
import dev.keygate.admin.provider.ProviderRepository.ModelRow;
import dev.keygate.admin.provider.ProviderRepository.ProviderRow;
import dev.keygate.admin.providerkey.ProviderKeyStore;
import dev.keygate.admin.system.Caller;
import dev.keygate.admin.system.InvalidRequestException;
import dev.keygate.admin.system.NotFoundException;
import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ProviderChanged;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The provider and model catalog a tenant sees: the predefined providers of models.yaml and the tenant's own.
 * Custom providers and models belong to one tenant and are invisible to every other. A change to a custom provider
 * is announced through the outbox in the transaction that made it. A key sent along is stored through keyvault
 * before the transaction, so a slow or absent vault never holds a database connection and leaves nothing half done.
 */
@Service
class ProviderCatalog {

    private static final int MAX_MODELS = 200;

    private final ProviderRepository repository;
    private final BaseUrlPolicy baseUrls;
    private final ProviderKeyStore keys;
    private final Outbox outbox;
    private final TransactionTemplate transaction;
    private final ModelPrices prices;
    private final Clock clock = Clock.systemUTC();

    ProviderCatalog(ProviderRepository repository, BaseUrlPolicy baseUrls, ProviderKeyStore keys, Outbox outbox,
                    TransactionTemplate transaction, ModelPrices prices) {
        this.repository = repository;
        this.baseUrls = baseUrls;
        this.keys = keys;
        this.outbox = outbox;
        this.transaction = transaction;
        this.prices = prices;
    }

    List<ProviderView> list(Caller caller) {
        return views(caller, repository.visibleProviders(caller.tenantId()), provider -> true);
    }

    List<ProviderView> listWithKeys(Caller caller) {
        Set<String> withKey = keys.providersWithKey(caller);
        return views(caller, repository.visibleProviders(caller.tenantId()),
                provider -> withKey.contains(provider.name()));
    }

    ProviderView get(Caller caller, String idOrName) {
        ProviderRow provider = find(caller, idOrName);
        return views(caller, List.of(provider), row -> true).get(0);
    }

    ProviderView create(Caller caller, CreateProvider request) {
        if (request == null) {
            throw new InvalidRequestException("Send {\"name\": ..., \"base_url\": ...}; display_name, api_key and"
                    + " models are optional.");
        }
        String name = request.name() == null ? null : request.name().strip();
        if (!CatalogNames.isProviderName(name)) {
            throw new InvalidRequestException("name is required: " + CatalogNames.PROVIDER_NAME_RULE
                    + " (not 'models' or 'with-keys').");
        }
        String displayName = request.displayName() == null ? name : displayName(request.displayName());
        ProviderKind kind = request.kind() == null ? ProviderKind.LLM : ProviderKind.fromWire(request.kind())
                .orElseThrow(() -> new InvalidRequestException("kind must be 'llm' or 'tool'."));
        AuthScheme scheme = authScheme(request.authScheme(), AuthScheme.BEARER);
        String authParam = authParam(scheme, request.authParam());
        List<String> models = modelNames(request.models());
        String apiKey = apiKey(request.apiKey());
        if (repository.providerNameTaken(name, caller.tenantId())) {
            throw duplicateProvider(name);
        }
        URI baseUrl = baseUrls.check(request.baseUrl());

        if (apiKey != null) {
            keys.store(caller, name, apiKey);
        }
        Instant now = clock.instant();
        ProviderRow row = new ProviderRow(UUID.randomUUID(), caller.tenantId(), name, displayName, baseUrl.toString(),
                kind, scheme, authParam, now, now);
        try {
            transaction.executeWithoutResult(status -> {
                repository.insertProvider(row);
                for (String model : models) {
                    repository.insertModel(new ModelRow(UUID.randomUUID(), row.id(), caller.tenantId(), model, model,
                            null, now, now));
                }
                announce(row, false, now);
            });
        }
        catch (DuplicateKeyException ex) {
            throw duplicateProvider(name);
        }
        return get(caller, row.id().toString());
    }

    ProviderView update(Caller caller, String idOrName, UpdateProvider request, boolean platformAdmin) {
        ProviderRow provider = find(caller, idOrName);
        if (request == null) {
            return get(caller, provider.id().toString());
        }
        if (request.changesProvider() && !platformAdmin) {
            throw new CatalogForbiddenException("Only a platform admin may change a provider's display_name, base_url"
                    + " or authentication; send only api_key to store your own key for it.");
        }
        if (request.changesProvider() && provider.predefined()) {
            throw new CatalogForbiddenException("'" + provider.name() + "' is predefined: it comes from the operator's"
                    + " models.yaml and no tenant can change it. Send only api_key to store your key for it.");
        }
        String apiKey = request.apiKey() == null ? null : apiKey(request.apiKey());
        ProviderRow changed = provider;
        if (request.changesProvider()) {
            AuthScheme scheme = authScheme(request.authScheme(), provider.authScheme());
            String authParam = authParam(scheme, request.authParam() != null ? request.authParam()
                    : scheme == provider.authScheme() ? provider.authParam() : null);
            String displayName = request.displayName() == null ? provider.displayName()
                    : displayName(request.displayName());
            String baseUrl = request.baseUrl() == null ? provider.baseUrl()
                    : baseUrls.check(request.baseUrl()).toString();
            changed = new ProviderRow(provider.id(), provider.tenantId(), provider.name(), displayName, baseUrl,
                    provider.kind(), scheme, authParam, provider.createdAt(), clock.instant());
        }

        if (apiKey != null) {
            keys.store(caller, provider.name(), apiKey);
        }
        if (changed != provider) {
            ProviderRow update = changed;
            transaction.executeWithoutResult(status -> {
                repository.updateCustomProvider(update);
                announce(update, false, update.updatedAt());
            });
        }
        return get(caller, provider.id().toString());
    }

    void delete(Caller caller, String idOrName) {
        ProviderRow provider = find(caller, idOrName);
        if (provider.predefined()) {
            throw new CatalogForbiddenException("'" + provider.name() + "' is predefined: it comes from the operator's"
                    + " models.yaml and stays. Only a tenant's own providers can be deleted.");
        }
        transaction.executeWithoutResult(status -> {
            if (repository.deleteCustomProvider(provider.id(), caller.tenantId())) {
                announce(provider, true, clock.instant());
            }
        });
    }

    List<ModelView> models(Caller caller, String idOrName) {
        ProviderRow provider = find(caller, idOrName);
        return repository.visibleModels(List.of(provider.id()), caller.tenantId()).stream().map(ModelView::of).toList();
    }

    ModelView addModel(Caller caller, String idOrName, AddModel request) {
        ProviderRow provider = find(caller, idOrName);
        if (request == null || request.name() == null || !CatalogNames.isModelName(request.name().strip())) {
            throw new InvalidRequestException("name is required: " + CatalogNames.MODEL_NAME_RULE + ".");
        }
        String name = request.name().strip();
        String displayName = request.displayName() == null ? name : displayName(request.displayName());
        Pricing pricing = request.pricing();
        if (pricing != null) {
            requireValid(pricing);
        }
        if (repository.modelNameTaken(provider.id(), name, caller.tenantId())) {
            throw duplicateModel(provider, name);
        }
        Instant now = clock.instant();
        ModelRow row = new ModelRow(UUID.randomUUID(), provider.id(), caller.tenantId(), name, displayName, pricing,
                now, now);
        try {
            transaction.executeWithoutResult(status -> {
                repository.insertModel(row);
                prices.announceIfChanged(caller.tenantId(), provider.name(), name, pricing, caller.userId(), now);
            });
        }
        catch (DuplicateKeyException ex) {
            throw duplicateModel(provider, name);
        }
        return ModelView.of(row);
    }

    /**
     * A new price version of a model the tenant sees, for this tenant only: its own model's new price, a negotiated
     * rate for a predefined model, or a correction effective in the past (usage-service re-rates past calls when
     * asked to). {@code effectiveFrom} {@code null} means now.
     */
    PriceView reprice(Caller caller, String idOrName, PriceVersion request) {
        ProviderRow provider = find(caller, idOrName);
        if (request == null || request.model() == null) {
            throw new InvalidRequestException("Send the price as JSON: model, input_per_million and"
                    + " output_per_million (USD per million tokens), optionally cache_read_per_million,"
                    + " cache_write_per_million and effective_from.");
        }
        String modelName = request.model().strip();
        boolean known = repository.visibleModels(List.of(provider.id()), caller.tenantId()).stream()
                .anyMatch(model -> model.name().equals(modelName));
        if (!known) {
            throw new NotFoundException("Provider '" + provider.name() + "' has no model '" + modelName + "'; add it"
                    + " with POST /api/v1/providers/" + provider.name() + "/models first.");
        }
        Pricing pricing = new Pricing(request.inputPerMillion(), request.outputPerMillion(),
                request.cacheReadPerMillion(), request.cacheWritePerMillion());
        requireValid(pricing);
        Instant now = clock.instant();
        Instant effectiveFrom = request.effectiveFrom() == null ? now : request.effectiveFrom();
        if (effectiveFrom.isAfter(now.plus(java.time.Duration.ofDays(366)))) {
            throw new InvalidRequestException("effective_from is at most a year ahead.");
        }
        return PriceView.of(transaction.execute(status -> prices.announce(caller.tenantId(), provider.name(),
                modelName, pricing, effectiveFrom, caller.userId(), now)));
    }

    private static void requireValid(Pricing pricing) {
        if (pricing.inputPerMillion() == null || pricing.outputPerMillion() == null) {
            throw new InvalidRequestException("pricing needs input_per_million and output_per_million (USD per"
                    + " million tokens); cache_read_per_million and cache_write_per_million are optional.");
        }
        if (pricing.invalidPart() != null) {
            throw new InvalidRequestException("pricing." + pricing.invalidPart()
                    + " must be from 0 to 100000 USD per million tokens, with at most 6 decimals.");
        }
    }

    void deleteModel(Caller caller, UUID modelId) {
        ModelRow model = repository.visibleModel(modelId, caller.tenantId())
                .orElseThrow(() -> new NotFoundException("There is no model " + modelId + "."));
        if (model.predefined()) {
            throw new CatalogForbiddenException("Model '" + model.name() + "' is predefined: it comes from the"
                    + " operator's models.yaml and stays. Only models your tenant added can be deleted.");
        }
        transaction.executeWithoutResult(status -> repository.deleteCustomModel(model.id(), caller.tenantId()));
    }

    /** By id, or by name as a convenience ({@code PUT /api/v1/providers/openai}); names are never UUID-shaped. */
    private ProviderRow find(Caller caller, String idOrName) {
        Optional<ProviderRow> found;
        try {
            found = repository.visibleProvider(UUID.fromString(idOrName), caller.tenantId());
        }
        catch (IllegalArgumentException notAnId) {
            found = repository.visibleProvider(idOrName, caller.tenantId());
        }
        return found.orElseThrow(() -> new NotFoundException("There is no provider '" + idOrName + "'."));
    }

    private List<ProviderView> views(Caller caller, List<ProviderRow> providers, Predicate<ProviderRow> keep) {
        Set<String> withKey = keys.providersWithKey(caller);
        List<ProviderRow> kept = providers.stream().filter(keep).toList();
        Map<UUID, List<ModelView>> models = new LinkedHashMap<>();
        kept.forEach(provider -> models.put(provider.id(), new ArrayList<>()));
        repository.visibleModels(models.keySet(), caller.tenantId())
                .forEach(model -> models.get(model.providerId()).add(ModelView.of(model)));
        return kept.stream()
                .map(provider -> ProviderView.of(provider, withKey.contains(provider.name()),
                        List.copyOf(models.get(provider.id()))))
                .toList();
    }

    private void announce(ProviderRow provider, boolean deleted, Instant now) {
        ProviderChanged event = new ProviderChanged(UUID.randomUUID(), null, 0, now, provider.id(),
                provider.tenantId(), provider.name(), deleted ? null : provider.baseUrl(),
                deleted ? null : provider.authScheme().wire(), deleted ? null : provider.authParam(), deleted);
        outbox.publish(event.eventId(), Topics.ADMIN_PROVIDERS, provider.id().toString(), ProviderChanged.TYPE, event);
    }

    private static String displayName(String text) {
        String displayName = CatalogNames.displayName(text);
        if (displayName == null) {
            throw new InvalidRequestException("display_name must be 1-200 printable characters.");
        }
        return displayName;
    }

    private static AuthScheme authScheme(String text, AuthScheme otherwise) {
        if (text == null) {
            return otherwise;
        }
        return AuthScheme.fromWire(text).orElseThrow(() -> new InvalidRequestException(
                "auth_scheme must be one of " + AuthScheme.allowed() + "."));
    }

    private static String authParam(AuthScheme scheme, String param) {
        try {
            return CatalogNames.authParam(scheme, param == null || param.isBlank() ? null : param.strip());
        }
        catch (IllegalArgumentException ex) {
            throw new InvalidRequestException(ex.getMessage() + ".");
        }
    }

    private static List<String> modelNames(List<String> models) {
        if (models == null) {
            return List.of();
        }
        if (models.size() > MAX_MODELS) {
            throw new InvalidRequestException("Send at most " + MAX_MODELS + " models; add more one by one.");
        }
        Set<String> seen = new HashSet<>();
        List<String> names = new ArrayList<>();
        for (String model : models) {
            String name = model == null ? null : model.strip();
            if (!CatalogNames.isModelName(name)) {
                throw new InvalidRequestException("models holds an invalid name: " + CatalogNames.MODEL_NAME_RULE
                        + ".");
            }
            if (!seen.add(name)) {
                throw new InvalidRequestException("models lists '" + name + "' twice.");
            }
            names.add(name);
        }
        return names;
    }

    private static String apiKey(String apiKey) {
        if (apiKey == null) {
            return null;
        }
        if (apiKey.isBlank()) {
            throw new InvalidRequestException("api_key is empty; leave it out to store no key.");
        }
        return apiKey.strip();
    }

    private static CatalogConflictException duplicateProvider(String name) {
        return new CatalogConflictException("A provider named '" + name + "' already exists; use PUT"
                + " /api/v1/providers/{id} to change it, or choose another name.");
    }

    private static CatalogConflictException duplicateModel(ProviderRow provider, String name) {
        return new CatalogConflictException("Provider '" + provider.name() + "' already has a model named '" + name
                + "'.");
    }
}
