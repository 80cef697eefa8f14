package dev.keygate.admin.proxykey;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import dev.keygate.contracts.admin.v1.ProxyKeyLimits;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A proxy key's record: its SHA-256, never the key. */
@Entity
@Table(name = "proxy_key")
class ProxyKey {

    @Id
    private UUID id;
    @Column(name = "tenant_id")
    private String tenantId;
    @Column(name = "user_id")
    private String userId;
    private String name;
    @Column(name = "key_hash")
    private String keyHash;
    private String hint;
    @JdbcTypeCode(SqlTypes.ARRAY)
    private String[] providers;
    @Column(name = "created_at")
    private Instant createdAt;
    @Column(name = "expires_at")
    private Instant expiresAt;
    @Column(name = "revoked_at")
    private Instant revokedAt;
    @JdbcTypeCode(SqlTypes.ARRAY)
    private String[] models;
    @Column(name = "requests_per_minute")
    private Integer requestsPerMinute;
    @Column(name = "requests_per_day")
    private Integer requestsPerDay;
    @Column(name = "monthly_budget_usd")
    private BigDecimal monthlyBudgetUsd;
    @Column(name = "license_id")
    private UUID licenseId;
    @Column(name = "hardware_id_hash")
    private String hardwareIdHash;
    @Column(name = "license_tier")
    private String licenseTier;

    protected ProxyKey() {
    }

    ProxyKey(UUID id, String tenantId, String userId, String name, String keyHash, String hint,
             ProxyKeyScope scope, Instant createdAt, Instant expiresAt, UUID licenseId, String hardwareIdHash,
             String licenseTier) {
        this.id = id;
        this.tenantId = tenantId;
        this.userId = userId;
        this.name = name;
        this.keyHash = keyHash;
        this.hint = hint;
        this.createdAt = createdAt;
        this.expiresAt = expiresAt;
        this.licenseId = licenseId;
        this.hardwareIdHash = hardwareIdHash;
        this.licenseTier = licenseTier;
        rescope(scope);
    }

    /** Replaces what the key may call and its limits. */
    void rescope(ProxyKeyScope scope) {
        this.providers = scope.providers().toArray(String[]::new);
        this.models = scope.models().toArray(String[]::new);
        this.requestsPerMinute = scope.limits().requestsPerMinute();
        this.requestsPerDay = scope.limits().requestsPerDay();
        this.monthlyBudgetUsd = scope.limits().monthlyBudgetUsd();
    }

    void rename(String name) {
        this.name = name;
    }

    /** Brings the key's end forward to {@code until} (a rotation's grace period); never pushes it later. */
    void expireBy(Instant until) {
        if (expiresAt == null || until.isBefore(expiresAt)) {
            expiresAt = until;
        }
    }

    void revoke(Instant now) {
        if (revokedAt == null) {
            revokedAt = now;
        }
    }

    UUID id() {
        return id;
    }

    String tenantId() {
        return tenantId;
    }

    String userId() {
        return userId;
    }

    String name() {
        return name;
    }

    String keyHash() {
        return keyHash;
    }

    String hint() {
        return hint;
    }

    List<String> providers() {
        return List.of(providers);
    }

    ProxyKeyScope scope() {
        return new ProxyKeyScope(List.of(providers), models == null ? List.of() : List.of(models),
                new ProxyKeyLimits(requestsPerMinute, requestsPerDay, monthlyBudgetUsd));
    }

    UUID licenseId() {
        return licenseId;
    }

    String hardwareIdHash() {
        return hardwareIdHash;
    }

    /** The tier of the license a device-bound key belongs to, kept so every re-announcement carries it. */
    String licenseTier() {
        return licenseTier;
    }

    Instant createdAt() {
        return createdAt;
    }

    Instant expiresAt() {
        return expiresAt;
    }

    Instant revokedAt() {
        return revokedAt;
    }
}
