package dev.keygate.admin.proxykey;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

import dev.keygate.admin.outbox.Outbox;
import dev.keygate.admin.system.Caller;
import dev.keygate.admin.system.InvalidRequestException;
import dev.keygate.admin.system.NotFoundException;
import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ProxyKeyIssued;
import dev.keygate.contracts.admin.v1.ProxyKeyRevoked;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Issues and revokes proxy keys ({@code px_} + 256 random bits, base64url). The key is returned once and only its
 * SHA-256 is stored; every change is announced through the outbox in the same transaction.
 */
@Service
class ProxyKeys {

    static final String PREFIX = "px_";
    static final Duration MAX_GRACE = Duration.ofDays(7);
    private static final Pattern PROVIDER = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ProxyKeyRepository repository;
    private final Outbox outbox;
    private final Clock clock = Clock.systemUTC();

    ProxyKeys(ProxyKeyRepository repository, Outbox outbox) {
        this.repository = repository;
        this.outbox = outbox;
    }

    @Transactional
    ProxyKeyView issue(Caller caller, CreateProxyKey request) {
        String name = request == null || request.name() == null || request.name().isBlank() ? "proxy key"
                : request.name().strip();
        if (name.length() > 100) {
            throw new InvalidRequestException("A proxy key name is at most 100 characters.");
        }
        List<String> providers = request == null || request.providers() == null ? List.of() : request.providers();
        providers.forEach(provider -> {
            if (provider == null || !PROVIDER.matcher(provider).matches()) {
                throw new InvalidRequestException("Providers are ids like 'openai' or 'anthropic'.");
            }
        });
        Instant now = clock.instant();
        Instant expiresAt = request == null ? null : request.expiresAt();
        if (expiresAt != null && !expiresAt.isAfter(now)) {
            throw new InvalidRequestException("expires_at must be in the future.");
        }

        return issue(caller.tenantId(), caller.userId(), name, providers, expiresAt, null, null);
    }

    /**
     * Stores a new key and announces it; {@code licenseId} and {@code hardwareIdHash} bind it to an activated device
     * and are {@code null} for keys a person creates. Callers have validated the arguments.
     */
    @Transactional
    ProxyKeyView issue(String tenantId, String userId, String name, List<String> providers, Instant expiresAt,
                       UUID licenseId, String hardwareIdHash) {
        Instant now = clock.instant();
        String plaintext = newKey();
        ProxyKey key = repository.save(new ProxyKey(UUID.randomUUID(), tenantId, userId, name,
                sha256(plaintext), plaintext.substring(plaintext.length() - 4), providers, now, expiresAt));
        ProxyKeyIssued issued = new ProxyKeyIssued(UUID.randomUUID(), 0, now, key.id(), key.tenantId(),
                key.userId(), key.keyHash(), key.hint(), key.providers(), key.expiresAt(), licenseId, hardwareIdHash, null, null);
        outbox.publish(issued.eventId(), Topics.ADMIN_PROXY_KEYS, key.id().toString(), ProxyKeyIssued.TYPE, issued);
        return ProxyKeyView.of(key).withKey(plaintext);
    }

    @Transactional(readOnly = true)
    List<ProxyKeyView> list(Caller caller) {
        return repository.findByTenantIdAndUserIdOrderByCreatedAtDesc(caller.tenantId(), caller.userId()).stream()
                .map(ProxyKeyView::of).toList();
    }

    @Transactional
    ProxyKeyView revoke(Caller caller, UUID id) {
        ProxyKey key = repository.findByIdAndTenantIdAndUserId(id, caller.tenantId(), caller.userId())
                .orElseThrow(() -> new NotFoundException("You have no proxy key " + id + "."));
        if (key.revokedAt() == null) {
            Instant now = clock.instant();
            key.revoke(now);
            ProxyKeyRevoked revoked = new ProxyKeyRevoked(UUID.randomUUID(), 0, now, key.id(), key.tenantId(),
                    key.keyHash());
            outbox.publish(revoked.eventId(), Topics.ADMIN_PROXY_KEYS, key.id().toString(), ProxyKeyRevoked.TYPE,
                    revoked);
        }
        return ProxyKeyView.of(key);
    }

    /**
     * Issues a successor with the same name, scope and end, and lets the old key work on for {@code grace} so clients
     * can switch without an outage. The old key's new end reaches every proxy as a re-issued event for the same key
     * id (the compacted topic keeps only that latest state). Device-bound keys are rotated by re-activating instead.
     */
    @Transactional
    ProxyKeyView rotate(Caller caller, UUID id, Duration grace) {
        if (grace.isNegative() || grace.compareTo(MAX_GRACE) > 0) {
            throw new InvalidRequestException("grace must be between PT0S and " + MAX_GRACE + ".");
        }
        ProxyKey old = repository.findByIdAndTenantIdAndUserId(id, caller.tenantId(), caller.userId())
                .orElseThrow(() -> new NotFoundException("You have no proxy key " + id + "."));
        if (old.revokedAt() != null) {
            throw new InvalidRequestException("Proxy key " + id + " is revoked; create a new one instead.");
        }
        Instant now = clock.instant();
        Instant originalEnd = old.expiresAt();
        if (originalEnd != null && !originalEnd.isAfter(now)) {
            throw new InvalidRequestException("Proxy key " + id + " has expired; create a new one instead.");
        }
        old.expireBy(now.plus(grace));
        ProxyKeyIssued stillValid = new ProxyKeyIssued(UUID.randomUUID(), 0, now, old.id(), old.tenantId(),
                old.userId(), old.keyHash(), old.hint(), old.providers(), old.expiresAt(), null, null, null, null);
        outbox.publish(stillValid.eventId(), Topics.ADMIN_PROXY_KEYS, old.id().toString(), ProxyKeyIssued.TYPE,
                stillValid);
        return issue(old.tenantId(), old.userId(), old.name(), old.providers(), originalEnd, null, null);
    }

    private static String newKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The lookup form of a proxy key; the proxy hashes what callers send the same way. */
    static String sha256(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(StandardCharsets.UTF_8)));
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
