package dev.keygate.keyvault.storedkey;

import java.time.Instant;
import java.util.UUID;

import dev.keygate.keyvault.envelope.AssociatedData;
import dev.keygate.keyvault.envelope.SealedSecret;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

/** One sealed provider key and its public metadata. Never leaves this service as an entity. */
@Entity
@Table(name = "stored_key")
class StoredKey {

    static final String PURPOSE_PROVIDER_API_KEY = "provider-api-key";
    static final String STATUS_ACTIVE = "active";
    static final String STATUS_REJECTED = "rejected";

    @Id
    private UUID id;
    @Column(name = "tenant_id")
    private String tenantId;
    @Column(name = "owner_type")
    private String ownerType;
    @Column(name = "owner_id")
    private String ownerId;
    private String provider;
    private int priority;
    private String purpose;
    private byte[] ciphertext;
    @Column(name = "data_nonce")
    private byte[] dataNonce;
    @Column(name = "wrapped_data_key")
    private byte[] wrappedDataKey;
    @Column(name = "wrap_nonce")
    private byte[] wrapNonce;
    @Column(name = "master_key_version")
    private int masterKeyVersion;
    private String hint;
    private String fingerprint;
    private String label;
    private String status = STATUS_ACTIVE;
    @Column(name = "status_reason")
    private String statusReason;
    @Column(name = "checked_at")
    private Instant checkedAt;
    @Column(name = "created_at")
    private Instant createdAt;
    @Column(name = "updated_at")
    private Instant updatedAt;
    @Version
    private long version;

    protected StoredKey() {
    }

    StoredKey(UUID id, Owner owner, String provider, int priority, Instant now) {
        this.id = id;
        this.tenantId = owner.tenantId();
        this.ownerType = owner.type().wireName();
        this.ownerId = owner.id();
        this.provider = provider;
        this.priority = priority;
        this.purpose = PURPOSE_PROVIDER_API_KEY;
        this.createdAt = now;
        this.updatedAt = now;
    }

    AssociatedData associatedData() {
        return new AssociatedData(tenantId, ownerType, ownerId, provider, id, purpose);
    }

    /** A new key for this slot starts active, whatever the key it replaced was. */
    void seal(SealedSecret sealed, String hint, String fingerprint, String label, Instant now) {
        seal(sealed, hint, fingerprint, now);
        this.label = label;
        this.status = STATUS_ACTIVE;
        this.statusReason = null;
        this.checkedAt = null;
    }

    /** Keeps everything but the wrapping of the data key (master key rotation). */
    void rewrapped(SealedSecret sealed) {
        this.wrappedDataKey = sealed.wrappedDataKey();
        this.wrapNonce = sealed.wrapNonce();
        this.masterKeyVersion = sealed.masterKeyVersion();
    }

    void checked(boolean accepted, String reason, Instant now) {
        this.status = accepted ? STATUS_ACTIVE : STATUS_REJECTED;
        this.statusReason = reason;
        this.checkedAt = now;
    }

    boolean usable() {
        return STATUS_ACTIVE.equals(status);
    }

    int priority() {
        return priority;
    }

    String label() {
        return label;
    }

    String status() {
        return status;
    }

    String statusReason() {
        return statusReason;
    }

    Instant checkedAt() {
        return checkedAt;
    }

    private void seal(SealedSecret sealed, String hint, String fingerprint, Instant now) {
        this.ciphertext = sealed.ciphertext();
        this.dataNonce = sealed.dataNonce();
        this.wrappedDataKey = sealed.wrappedDataKey();
        this.wrapNonce = sealed.wrapNonce();
        this.masterKeyVersion = sealed.masterKeyVersion();
        this.hint = hint;
        this.fingerprint = fingerprint;
        this.updatedAt = now;
    }

    SealedSecret sealed() {
        return new SealedSecret(ciphertext, dataNonce, wrappedDataKey, wrapNonce, masterKeyVersion);
    }

    UUID id() {
        return id;
    }

    String tenantId() {
        return tenantId;
    }

    String ownerType() {
        return ownerType;
    }

    String ownerId() {
        return ownerId;
    }

    String provider() {
        return provider;
    }

    int masterKeyVersion() {
        return masterKeyVersion;
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
