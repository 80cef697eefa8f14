package dev.keygate.keyvault.storedkey;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

import dev.keygate.contracts.keyvault.v1.OwnerType;
import dev.keygate.contracts.keyvault.v1.ResolvedKey;
import dev.keygate.contracts.keyvault.v1.StoredKeyMetadata;
import dev.keygate.keyvault.audit.AuditTrail;
import dev.keygate.keyvault.envelope.EnvelopeCipher;
import dev.keygate.keyvault.envelope.PlainKey;
import dev.keygate.keyvault.envelope.SecretUnavailableException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Stores, lists, deletes and resolves provider keys. Resolution order: the user's own key, then the organisation's;
 * within an owner, the lowest priority number first.
 */
@Service
class StoredKeys {

    private static final Pattern PROVIDER = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

    private final StoredKeyRepository repository;
    private final EnvelopeCipher cipher;
    private final AuditTrail audit;
    private final Clock clock;

    StoredKeys(StoredKeyRepository repository, EnvelopeCipher cipher, AuditTrail audit) {
        this.repository = repository;
        this.cipher = cipher;
        this.audit = audit;
        this.clock = Clock.systemUTC();
    }

    @Transactional
    StoredKeyMetadata store(Owner owner, String provider, PlainKey key, String caller) {
        checkProvider(provider);
        Instant now = clock.instant();
        StoredKey stored = repository.findByTenantIdAndOwnerTypeAndOwnerIdAndProviderAndPriority(owner.tenantId(),
                        owner.type().wireName(), owner.id(), provider, 0)
                .orElseGet(() -> new StoredKey(UUID.randomUUID(), owner, provider, 0, now));
        stored.seal(cipher.seal(key, stored.associatedData()), key.hint(), key.fingerprint(), now);
        StoredKey saved = repository.save(stored);
        audit.record("store", "ok", caller, saved.id(), owner.tenantId(), owner.id(), provider, null);
        return metadata(saved);
    }

    @Transactional
    boolean delete(Owner owner, String provider, String caller) {
        checkProvider(provider);
        List<StoredKey> keys = repository.findByTenantIdAndOwnerTypeAndOwnerIdAndProviderOrderByPriority(
                owner.tenantId(), owner.type().wireName(), owner.id(), provider);
        repository.deleteAll(keys);
        keys.forEach(key -> audit.record("delete", "ok", caller, key.id(), owner.tenantId(), owner.id(), provider, null));
        return !keys.isEmpty();
    }

    @Transactional(readOnly = true)
    List<StoredKeyMetadata> list(Owner owner) {
        return repository.findByTenantIdAndOwnerTypeAndOwnerIdOrderByProviderAscPriorityAsc(owner.tenantId(),
                owner.type().wireName(), owner.id()).stream().map(StoredKeys::metadata).toList();
    }

    @Transactional
    ResolvedKey resolve(String tenantId, String userId, String provider, String caller) {
        checkProvider(provider);
        Optional<StoredKey> found = firstOf(Owner.user(tenantId, userId), provider)
                .or(() -> firstOf(Owner.organisation(tenantId), provider));
        if (found.isEmpty()) {
            audit.recordIndependently("decrypt", "no-key", caller, null, tenantId, userId, provider, null);
            throw new KeyNotConfiguredException(provider);
        }
        StoredKey stored = found.get();
        try {
            PlainKey key = cipher.open(stored.sealed(), stored.associatedData());
            audit.record("decrypt", "ok", caller, stored.id(), tenantId, userId, provider,
                    "served " + stored.ownerType() + " key");
            return new ResolvedKey(stored.id(), provider, ownerType(stored), key.reveal());
        }
        catch (SecretUnavailableException ex) {
            audit.recordIndependently("decrypt", "failed", caller, stored.id(), tenantId, userId, provider, ex.getMessage());
            throw ex;
        }
    }

    private Optional<StoredKey> firstOf(Owner owner, String provider) {
        return repository.findByTenantIdAndOwnerTypeAndOwnerIdAndProviderOrderByPriority(owner.tenantId(),
                owner.type().wireName(), owner.id(), provider).stream().findFirst();
    }

    private static void checkProvider(String provider) {
        if (provider == null || !PROVIDER.matcher(provider).matches()) {
            throw new IllegalArgumentException("provider must be 1-64 lower-case letters, digits or '-'");
        }
    }

    private static OwnerType ownerType(StoredKey key) {
        return OwnerType.USER.wireName().equals(key.ownerType()) ? OwnerType.USER : OwnerType.ORGANISATION;
    }

    private static StoredKeyMetadata metadata(StoredKey key) {
        return new StoredKeyMetadata(key.id(), key.tenantId(), ownerType(key), key.ownerId(), key.provider(),
                key.hint(), key.fingerprint(), key.masterKeyVersion(), key.createdAt(), key.updatedAt());
    }
}
