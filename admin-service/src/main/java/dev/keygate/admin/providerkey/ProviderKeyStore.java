package dev.keygate.admin.providerkey;

import java.util.Set;
import java.util.stream.Collectors;

import dev.keygate.admin.system.Caller;
import org.springframework.stereotype.Component;

/**
 * What other features may do with a user's own provider keys: store one (the secret goes to keyvault, only metadata
 * stays here) and ask which providers the user has a key for. Never hands out a key.
 */
@Component
public class ProviderKeyStore {

    private final ProviderKeys keys;

    ProviderKeyStore(ProviderKeys keys) {
        this.keys = keys;
    }

    /**
     * Stores {@code apiKey} as the caller's own key for {@code provider}, replacing any earlier one.
     *
     * @throws dev.keygate.admin.system.InvalidRequestException if the provider id or the key is refused
     * @throws dev.keygate.admin.system.UpstreamUnavailableException if keyvault cannot be reached
     */
    public void store(Caller caller, String provider, String apiKey) {
        keys.store(caller, provider, new StoreProviderKey(apiKey));
    }

    /** The providers the caller has a key of their own for. */
    public Set<String> providersWithKey(Caller caller) {
        return keys.list(caller).stream().map(ProviderKeyView::provider).collect(Collectors.toUnmodifiableSet());
    }
}
