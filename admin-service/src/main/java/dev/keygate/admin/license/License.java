package dev.keygate.admin.license;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A license of one tenant: its key's SHA-256, never the key; {@code null} limits are unlimited. */
@Entity
@Table(name = "license")
class License {

    @Id
    private UUID id;
    @Column(name = "tenant_id")
    private String tenantId;
    private String name;
    @Column(name = "key_hash")
    private String keyHash;
    private String hint;
    private String tier;
    @Column(name = "daily_request_limit")
    private Integer dailyRequestLimit;
    @Column(name = "max_activations")
    private Integer maxActivations;
    @JdbcTypeCode(SqlTypes.ARRAY)
    private String[] providers;
    @Column(name = "created_by")
    private String createdBy;
    @Column(name = "created_at")
    private Instant createdAt;
    @Column(name = "expires_at")
    private Instant expiresAt;
    @Column(name = "revoked_at")
    private Instant revokedAt;

    protected License() {
    }

    License(UUID id, String tenantId, String name, String keyHash, String hint, LicenseTier tier,
            Integer dailyRequestLimit, Integer maxActivations, List<String> providers, String createdBy,
            Instant createdAt, Instant expiresAt) {
        this.id = id;
        this.tenantId = tenantId;
        this.name = name;
        this.keyHash = keyHash;
        this.hint = hint;
        this.tier = tier.id();
        this.dailyRequestLimit = dailyRequestLimit;
        this.maxActivations = maxActivations;
        this.providers = providers.toArray(String[]::new);
        this.createdBy = createdBy;
        this.createdAt = createdAt;
        this.expiresAt = expiresAt;
    }

    void revoke(Instant now) {
        if (revokedAt == null) {
            revokedAt = now;
        }
    }

    boolean expiredAt(Instant now) {
        return expiresAt != null && !now.isBefore(expiresAt);
    }

    /** The owner of this license's device keys in the proxy key store. */
    String deviceKeyOwner() {
        return "license:" + id;
    }

    UUID id() {
        return id;
    }

    String tenantId() {
        return tenantId;
    }

    String name() {
        return name;
    }

    String hint() {
        return hint;
    }

    String tier() {
        return tier;
    }

    Integer dailyRequestLimit() {
        return dailyRequestLimit;
    }

    Integer maxActivations() {
        return maxActivations;
    }

    List<String> providers() {
        return List.of(providers);
    }

    String createdBy() {
        return createdBy;
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
