package dev.keygate.admin.proxykey;

import java.math.BigDecimal;
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
import dev.keygate.contracts.admin.v1.ProxyKeyLimits;
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
    static final int MAX_SCOPE_ENTRIES = 100;
    static final int MAX_REQUESTS_PER_MINUTE = 1_000_000;
    static final int MAX_REQUESTS_PER_DAY = 1_000_000_000;
    static final BigDecimal MAX_BUDGET_USD = new BigDecimal("1000000000");
    private static final Pattern PROVIDER = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
    private static final Pattern MODEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}");
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
        CreateProxyKey body = request == null ? new CreateProxyKey(null, null, null, null, null, null, null) : request;
        String name = body.name() == null || body.name().isBlank() ? "proxy key" : body.name().strip();
        if (name.length() > 100) {
            throw new InvalidRequestException("A proxy key name is at most 100 characters.");
        }
        ProxyKeyScope scope = scope(body.providers(), body.models(), body.requestsPerMinute(), body.requestsPerDay(),
                body.monthlyBudgetUsd());
        Instant now = clock.instant();
        Instant expiresAt = body.expiresAt();
        if (expiresAt != null && !expiresAt.isAfter(now)) {
            throw new InvalidRequestException("expires_at must be in the future.");
        }
        return issue(caller.tenantId(), caller.userId(), name, scope, expiresAt, null, null, null);
    }

    /**
     * Stores a new key and announces it; {@code licenseId}, {@code hardwareIdHash} and {@code licenseTier} bind it to
     * an activated device of a license of that tier and are {@code null} for keys a person creates. Callers have
     * validated the arguments.
     */
    @Transactional
    ProxyKeyView issue(String tenantId, String userId, String name, ProxyKeyScope scope, Instant expiresAt,
                       UUID licenseId, String hardwareIdHash, String licenseTier) {
        Instant now = clock.instant();
        String plaintext = newKey();
        ProxyKey key = repository.save(new ProxyKey(UUID.randomUUID(), tenantId, userId, name,
                sha256(plaintext), plaintext.substring(plaintext.length() - 4), scope, now, expiresAt, licenseId,
                hardwareIdHash, licenseTier));
        announce(key, now);
        return ProxyKeyView.of(key).withKey(plaintext);
    }

    /** Replaces the scope and limits of one of the caller's keys; every proxy learns of it through the outbox. */
    @Transactional
    ProxyKeyView rescope(Caller caller, UUID id, ChangeProxyKeyScope request) {
        if (request == null) {
            throw new InvalidRequestException("Send the key's new scope as JSON, e.g. {\"providers\":[\"openai\"],"
                    + "\"models\":[\"gpt-4o-mini\"],\"requests_per_minute\":60}.");
        }
        ProxyKey key = repository.findByIdAndTenantIdAndUserId(id, caller.tenantId(), caller.userId())
                .orElseThrow(() -> new NotFoundException("You have no proxy key " + id + "."));
        if (key.revokedAt() != null) {
            throw new InvalidRequestException("Proxy key " + id + " is revoked; create a new one instead.");
        }
        key.rescope(scope(request.providers(), request.models(), request.requestsPerMinute(),
                request.requestsPerDay(), request.monthlyBudgetUsd()));
        announce(key, clock.instant());
        return ProxyKeyView.of(key);
    }

    /** Validates a requested scope; the messages name the fix. */
    static ProxyKeyScope scope(List<String> providers, List<String> models, Integer requestsPerMinute,
                               Integer requestsPerDay, BigDecimal monthlyBudgetUsd) {
        List<String> providerIds = providers == null ? List.of() : providers;
        if (providerIds.size() > MAX_SCOPE_ENTRIES) {
            throw new InvalidRequestException("A proxy key names at most " + MAX_SCOPE_ENTRIES + " providers.");
        }
        providerIds.forEach(provider -> {
            if (provider == null || !PROVIDER.matcher(provider).matches()) {
                throw new InvalidRequestException("Providers are ids like 'openai' or 'anthropic'.");
            }
        });
        List<String> modelIds = models == null ? List.of() : models;
        if (modelIds.size() > MAX_SCOPE_ENTRIES) {
            throw new InvalidRequestException("A proxy key names at most " + MAX_SCOPE_ENTRIES + " models.");
        }
        modelIds.forEach(model -> {
            if (model == null || !MODEL.matcher(model).matches()) {
                throw new InvalidRequestException("Models are ids as the provider spells them, like 'gpt-4o-mini' "
                        + "or 'claude-3-haiku-20240307' (letters, digits and . _ : / @ -, at most 128).");
            }
        });
        positive("requests_per_minute", requestsPerMinute, MAX_REQUESTS_PER_MINUTE);
        positive("requests_per_day", requestsPerDay, MAX_REQUESTS_PER_DAY);
        if (monthlyBudgetUsd != null && (monthlyBudgetUsd.signum() < 0 || monthlyBudgetUsd.scale() > 4
                || monthlyBudgetUsd.compareTo(MAX_BUDGET_USD) > 0)) {
            throw new InvalidRequestException("monthly_budget_usd is an amount in US dollars from 0 to "
                    + MAX_BUDGET_USD.toPlainString() + " with at most 4 decimals.");
        }
        return new ProxyKeyScope(providerIds.stream().distinct().toList(), modelIds.stream().distinct().toList(),
                new ProxyKeyLimits(requestsPerMinute, requestsPerDay, monthlyBudgetUsd));
    }

    private static void positive(String field, Integer value, int max) {
        if (value != null && (value < 1 || value > max)) {
            throw new InvalidRequestException(field + " must be between 1 and " + max + "; leave it out for no "
                    + "limit of the key's own.");
        }
    }

    /** The key's current state as every proxy must know it; the compacted topic keeps only the latest per key. */
    private void announce(ProxyKey key, Instant now) {
        ProxyKeyScope scope = key.scope();
        ProxyKeyIssued issued = new ProxyKeyIssued(UUID.randomUUID(), 0, now, key.id(), key.tenantId(),
                key.userId(), key.keyHash(), key.hint(), scope.providers(), key.expiresAt(), key.licenseId(),
                key.hardwareIdHash(), scope.models(), scope.limits(), key.licenseTier());
        outbox.publish(issued.eventId(), Topics.ADMIN_PROXY_KEYS, key.id().toString(), ProxyKeyIssued.TYPE, issued);
    }

    @Transactional(readOnly = true)
    boolean belongsTo(String tenantId, UUID keyId) {
        return repository.existsByIdAndTenantId(keyId, tenantId);
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
        announce(old, now);
        return issue(old.tenantId(), old.userId(), old.name(), old.scope(), originalEnd, null, null, null);
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
