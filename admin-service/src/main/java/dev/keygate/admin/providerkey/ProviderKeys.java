package dev.keygate.admin.providerkey;

import java.time.Clock;
import java.util.List;
import java.util.regex.Pattern;

import dev.keygate.admin.system.Caller;
import dev.keygate.admin.system.InvalidRequestException;
import dev.keygate.admin.system.NotFoundException;
import dev.keygate.contracts.admin.v1.ProviderKeyChanged;
import dev.keygate.contracts.keyvault.v1.StoredKeyMetadata;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A user's own provider keys. The plaintext goes once to keyvault and is forgotten; only metadata is kept here.
 * keyvault is called outside any database transaction so a slow vault never holds a connection; every change is
 * announced ({@code provider-key.changed}) in the transaction that changes the metadata.
 */
@Service
class ProviderKeys {

    private static final Pattern PROVIDER = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

    private final KeyvaultClient keyvault;
    private final ProviderKeyRepository repository;
    private final TransactionTemplate transaction;
    private final ProviderKeyAnnouncements announcements;
    private final Clock clock = Clock.systemUTC();

    ProviderKeys(KeyvaultClient keyvault, ProviderKeyRepository repository, TransactionTemplate transaction,
                 ProviderKeyAnnouncements announcements) {
        this.keyvault = keyvault;
        this.repository = repository;
        this.transaction = transaction;
        this.announcements = announcements;
    }

    ProviderKeyView store(Caller caller, String provider, StoreProviderKey request) {
        checkProvider(provider);
        if (request == null || request.apiKey() == null || request.apiKey().isBlank()) {
            throw new InvalidRequestException("Send the key as {\"api_key\": \"<your " + provider + " key>\"}.");
        }
        StoredKeyMetadata stored = keyvault.storeUserKey(caller.tenantId(), caller.userId(), provider,
                request.apiKey().strip());
        return transaction.execute(status -> {
            ProviderKey key = repository.findByTenantIdAndUserIdAndProvider(caller.tenantId(), caller.userId(), provider)
                    .orElseGet(() -> new ProviderKey(caller.tenantId(), caller.userId(), provider, clock.instant()));
            key.stored(stored.secretId(), stored.hint(), stored.fingerprint(), clock.instant());
            ProviderKeyView view = ProviderKeyView.of(repository.save(key));
            announcements.userKey(caller.tenantId(), caller.userId(), provider, ProviderKeyChanged.STORED);
            return view;
        });
    }

    List<ProviderKeyView> list(Caller caller) {
        return repository.findByTenantIdAndUserIdOrderByProvider(caller.tenantId(), caller.userId()).stream()
                .map(ProviderKeyView::of).toList();
    }

    ProviderKeyView get(Caller caller, String provider) {
        checkProvider(provider);
        return repository.findByTenantIdAndUserIdAndProvider(caller.tenantId(), caller.userId(), provider)
                .map(ProviderKeyView::of)
                .orElseThrow(() -> new NotFoundException("You have no " + provider + " key stored."));
    }

    void delete(Caller caller, String provider) {
        checkProvider(provider);
        keyvault.deleteUserKey(caller.tenantId(), caller.userId(), provider);
        // Announced even when no metadata was left: keyvault may still have held a key a proxy cached.
        transaction.executeWithoutResult(status -> {
            repository.findByTenantIdAndUserIdAndProvider(caller.tenantId(), caller.userId(), provider)
                    .ifPresent(repository::delete);
            announcements.userKey(caller.tenantId(), caller.userId(), provider, ProviderKeyChanged.DELETED);
        });
    }

    private static void checkProvider(String provider) {
        if (!PROVIDER.matcher(provider).matches()) {
            throw new InvalidRequestException("Provider ids are 1-64 lower-case letters, digits or '-', like 'openai'.");
        }
    }
}
