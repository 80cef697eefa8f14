package dev.keygate.admin.providerkey;

import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** Metadata of a provider key a user stored: enough to show it (last four characters), nothing to use it. */
@Entity
@Table(name = "provider_key")
class ProviderKey {

    @Id
    private UUID id;
    @Column(name = "tenant_id")
    private String tenantId;
    @Column(name = "user_id")
    private String userId;
    private String provider;
    @Column(name = "secret_id")
    private UUID secretId;
    private String hint;
    private String fingerprint;
    @Column(name = "created_at")
    private Instant createdAt;
    @Column(name = "updated_at")
    private Instant updatedAt;

    protected ProviderKey() {
    }

    ProviderKey(String tenantId, String userId, String provider, Instant now) {
        this.id = UUID.randomUUID();
        this.tenantId = tenantId;
        this.userId = userId;
        this.provider = provider;
        this.createdAt = now;
    }

    void stored(UUID secretId, String hint, String fingerprint, Instant now) {
        this.secretId = secretId;
        this.hint = hint;
        this.fingerprint = fingerprint;
        this.updatedAt = now;
    }

    String provider() {
        return provider;
    }

    String hint() {
        return hint;
    }

    String fingerprint() {
        return fingerprint;
    }

    Instant createdAt() {
        return createdAt;
    }

    Instant updatedAt() {
        return updatedAt;
    }
}
