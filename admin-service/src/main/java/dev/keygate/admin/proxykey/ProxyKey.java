package dev.keygate.admin.proxykey;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

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

    protected ProxyKey() {
    }

    ProxyKey(UUID id, String tenantId, String userId, String name, String keyHash, String hint,
             List<String> providers, Instant createdAt, Instant expiresAt) {
        this.id = id;
        this.tenantId = tenantId;
        this.userId = userId;
        this.name = name;
        this.keyHash = keyHash;
        this.hint = hint;
        this.providers = providers.toArray(String[]::new);
        this.createdAt = createdAt;
        this.expiresAt = expiresAt;
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
