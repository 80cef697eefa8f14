package dev.keygate.keyvault.storedkey;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

import dev.keygate.contracts.keyvault.v1.OwnerType;
import dev.keygate.contracts.keyvault.v1.ResolvedKey;
import dev.keygate.contracts.keyvault.v1.StoredKeyMetadata;
import dev.keygate.contracts.keyvault.v1.TenantKeyPolicy;
import dev.keygate.keyvault.audit.AuditTrail;
import dev.keygate.keyvault.envelope.EnvelopeCipher;
import dev.keygate.keyvault.envelope.PlainKey;
import dev.keygate.keyvault.envelope.SecretUnavailableException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Stores, lists, deletes, checks and resolves provider keys.
 *
 * <p>Resolution policy: the user's own keys first, then the organisation's, each skipped when the tenant's policy
 * forbids it; within an owner, active keys in priority order (0 first). A key the provider rejected is skipped, so
 * the next one serves. Nothing usable is a "no key configured" answer.
 */
@Service
class StoredKeys {

    private static final Pattern PROVIDER = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
    private static final int MAX_PRIORITY = 9;

    private final StoredKeyRepository repository;
    private final TenantPolicies policies;
    private final EnvelopeCipher cipher;
    private final AuditTrail audit;
    private final ObjectProvider<KeyValidator> validator;
    private final Clock clock = Clock.systemUTC();
    /** {@code keygate.keyvault.decrypts} by outcome only: which tenant or key asked is in the audit trail. */
    private final Counter decrypted;
    private final Counter noKey;
    private final Counter failed;

    StoredKeys(StoredKeyRepository repository, TenantPolicies policies, EnvelopeCipher cipher, AuditTrail audit,
               ObjectProvider<KeyValidator> validator, MeterRegistry meters) {
        this.repository = repository;
        this.policies = policies;
        this.cipher = cipher;
        this.audit = audit;
        this.validator = validator;
        this.decrypted = decrypts(meters, "ok");
        this.noKey = decrypts(meters, "no_key");
        this.failed = decrypts(meters, "failed");
    }

    private static Counter decrypts(MeterRegistry meters, String outcome) {
        return Counter.builder("keygate.keyvault.decrypts").description("Provider key resolutions for the proxy")
                .tag("outcome", outcome).register(meters);
    }

    @Transactional
    StoredKeyMetadata store(Owner owner, String provider, int priority, PlainKey key, String label, String caller) {
        checkProvider(provider);
        if (priority < 0 || priority > MAX_PRIORITY) {
            throw new IllegalArgumentException("priority must be 0 (first) to " + MAX_PRIORITY);
        }
        if (label != null && (label.length() > 64 || label.chars().anyMatch(Character::isISOControl))) {
            throw new IllegalArgumentException("a label is at most 64 printable characters");
        }
        Instant now = clock.instant();
        StoredKey stored = repository.findByTenantIdAndOwnerTypeAndOwnerIdAndProviderAndPriority(owner.tenantId(),
                        owner.type().wireName(), owner.id(), provider, priority)
                .orElseGet(() -> new StoredKey(UUID.randomUUID(), owner, provider, priority, now));
        stored.seal(cipher.seal(key, stored.associatedData()), key.hint(), key.fingerprint(), label, now);
        StoredKey saved = repository.save(stored);
        audit.record("store", "ok", caller, saved.id(), owner.tenantId(), owner.id(), provider, null);
        return metadata(saved);
    }

    @Transactional
    boolean delete(Owner owner, String provider, Integer priority, String caller) {
        checkProvider(provider);
        List<StoredKey> keys = repository.findByTenantIdAndOwnerTypeAndOwnerIdAndProviderOrderByPriority(
                owner.tenantId(), owner.type().wireName(), owner.id(), provider).stream()
                .filter(key -> priority == null || key.priority() == priority)
                .toList();
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
        Owner user = Owner.user(tenantId, userId);
        TenantKeyPolicy policy = policies.of(tenantId);
        List<StoredKey> candidates = new ArrayList<>();
        if (policy.allowUserKeys()) {
            candidates.addAll(keysOf(user, provider));
        }
        if (policy.allowOrganisationKeys()) {
            candidates.addAll(keysOf(Owner.organisation(tenantId), provider));
        }
        Optional<StoredKey> found = candidates.stream().filter(StoredKey::usable).findFirst();
        if (found.isEmpty()) {
            boolean allRejected = !candidates.isEmpty();
            audit.recordIndependently("decrypt", "no-key", caller, null, tenantId, userId, provider,
                    allRejected ? "every stored key was rejected by the provider" : null);
            noKey.increment();
            throw new KeyNotConfiguredException(provider, allRejected);
        }
        StoredKey stored = found.get();
        try {
            PlainKey key = cipher.open(stored.sealed(), stored.associatedData());
            audit.record("decrypt", "ok", caller, stored.id(), tenantId, userId, provider,
                    "served " + stored.ownerType() + " key, priority " + stored.priority());
            decrypted.increment();
            return new ResolvedKey(stored.id(), provider, ownerType(stored), key.reveal());
        }
        catch (SecretUnavailableException ex) {
            audit.recordIndependently("decrypt", "failed", caller, stored.id(), tenantId, userId, provider,
                    ex.getMessage());
            failed.increment();
            throw ex;
        }
    }

    /** The proxy saw the provider refuse this key: skip it from now on, until it is replaced or checked again. */
    @Transactional
    void reportRejected(UUID secretId, String reason, String caller) {
        StoredKey key = repository.findById(secretId)
                .orElseThrow(() -> new SecretNotFoundException(secretId));
        key.checked(false, reason == null || reason.isBlank() ? "the provider rejected the key" : truncate(reason),
                clock.instant());
        audit.record("reject", "ok", caller, key.id(), key.tenantId(), key.ownerId(), key.provider(), key.statusReason());
    }

    /** Asks the provider now; a key it accepts becomes usable again. */
    @Transactional
    StoredKeyMetadata check(String tenantId, UUID secretId, String caller) {
        StoredKey key = repository.findByIdAndTenantId(secretId, tenantId)
                .orElseThrow(() -> new SecretNotFoundException(secretId));
        KeyValidator checker = validator.getIfAvailable();
        Optional<KeyValidator.Verdict> verdict = checker == null ? Optional.empty()
                : checker.validate(key.provider(), cipher.open(key.sealed(), key.associatedData()));
        verdict.ifPresent(result -> key.checked(result.accepted(), result.reason(), clock.instant()));
        audit.record("check", verdict.map(result -> result.accepted() ? "accepted" : "rejected").orElse("unchecked"),
                caller, key.id(), key.tenantId(), key.ownerId(), key.provider(), verdict.map(KeyValidator.Verdict::reason)
                        .orElse("the provider could not be asked"));
        return metadata(key);
    }

    TenantKeyPolicy policy(String tenantId) {
        Owner.organisation(tenantId);
        return policies.of(tenantId);
    }

    @Transactional
    TenantKeyPolicy setPolicy(String tenantId, TenantKeyPolicy policy, String caller) {
        Owner.organisation(tenantId);
        policies.set(tenantId, policy);
        audit.record("policy", "ok", caller, null, tenantId, tenantId, null,
                "user keys " + (policy.allowUserKeys() ? "allowed" : "forbidden") + ", organisation keys "
                        + (policy.allowOrganisationKeys() ? "allowed" : "forbidden"));
        return policy;
    }

    private List<StoredKey> keysOf(Owner owner, String provider) {
        return repository.findByTenantIdAndOwnerTypeAndOwnerIdAndProviderOrderByPriority(owner.tenantId(),
                owner.type().wireName(), owner.id(), provider);
    }

    private static void checkProvider(String provider) {
        if (provider == null || !PROVIDER.matcher(provider).matches()) {
            throw new IllegalArgumentException("provider must be 1-64 lower-case letters, digits or '-'");
        }
    }

    private static String truncate(String reason) {
        return reason.length() <= 255 ? reason : reason.substring(0, 255);
    }

    private static OwnerType ownerType(StoredKey key) {
        return OwnerType.USER.wireName().equals(key.ownerType()) ? OwnerType.USER : OwnerType.ORGANISATION;
    }

    static StoredKeyMetadata metadata(StoredKey key) {
        return new StoredKeyMetadata(key.id(), key.tenantId(), ownerType(key), key.ownerId(), key.provider(),
                key.hint(), key.fingerprint(), key.masterKeyVersion(), key.createdAt(), key.updatedAt(),
                key.priority(), key.label(), key.status(), key.statusReason(), key.checkedAt());
    }
}
