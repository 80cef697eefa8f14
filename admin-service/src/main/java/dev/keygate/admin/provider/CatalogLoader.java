package dev.keygate.admin.provider;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

import dev.keygate.admin.provider.CatalogFile.PredefinedModel;
import dev.keygate.admin.provider.CatalogFile.PredefinedProvider;
import dev.keygate.admin.provider.ProviderRepository.ModelRow;
import dev.keygate.admin.provider.ProviderRepository.ProviderRow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Writes models.yaml into the predefined rows once every bean (Flyway's migration included) is ready and before the
 * web server takes requests: new entries are added, changed ones updated, and entries the file no longer lists are
 * removed. An unreadable or invalid file stops the start, naming the entry at fault.
 */
@Component
class CatalogLoader implements SmartInitializingSingleton {

    private static final Logger log = LoggerFactory.getLogger(CatalogLoader.class);

    private final CatalogProperties properties;
    private final ProviderRepository repository;
    private final TransactionTemplate transaction;
    private final ModelPrices prices;
    private final Clock clock = Clock.systemUTC();

    CatalogLoader(CatalogProperties properties, ProviderRepository repository, TransactionTemplate transaction,
                  ModelPrices prices) {
        this.properties = properties;
        this.repository = repository;
        this.transaction = transaction;
        this.prices = prices;
    }

    @Override
    public void afterSingletonsInstantiated() {
        List<PredefinedProvider> providers = CatalogFile.load(properties.location());
        transaction.executeWithoutResult(status -> write(providers, clock.instant()));
        log.info("Provider catalog: {} predefined providers with {} models from {}", providers.size(),
                providers.stream().mapToInt(provider -> provider.models().size()).sum(),
                properties.location().getDescription());
    }

    private void write(List<PredefinedProvider> providers, Instant now) {
        repository.lockPredefined();
        List<String> removed = repository.deletePredefinedProvidersExcept(
                providers.stream().map(PredefinedProvider::name).toList());
        if (!removed.isEmpty()) {
            log.warn("Removed predefined providers no longer in the catalog, with their models: {}", removed);
        }
        for (PredefinedProvider provider : providers) {
            var id = ProviderRepository.predefinedProviderId(provider.name());
            repository.upsertPredefinedProvider(new ProviderRow(id, null, provider.name(), provider.displayName(),
                    provider.baseUrl().toString(), provider.kind(), provider.authScheme(), provider.authParam(), now,
                    now));
            repository.deletePredefinedModelsExcept(id, provider.models().stream().map(PredefinedModel::name).toList());
            for (PredefinedModel model : provider.models()) {
                repository.upsertPredefinedModel(new ModelRow(
                        ProviderRepository.predefinedModelId(provider.name(), model.name()), id, null, model.name(),
                        model.displayName(), model.pricing(), now, now));
                if (prices.announceIfChanged(null, provider.name(), model.name(), model.pricing(),
                        ModelPrices.CATALOG_FILE, now)) {
                    log.info("Announced a new price for {}/{} from {}", provider.name(), model.name(), now);
                }
            }
            List<String> shadowed = repository.tenantsShadowedBy(provider.name());
            if (!shadowed.isEmpty()) {
                log.warn("Tenants {} have their own provider named '{}', which is now predefined: theirs is hidden"
                        + " until they delete it", shadowed, provider.name());
            }
        }
    }
}
