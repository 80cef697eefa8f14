package dev.keygate.admin.license;

import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * One device a license was activated on, known by the SHA-256 of its hardware id, and the proxy key it holds now.
 * Re-activating the device replaces the key; deactivating it frees the license's slot.
 */
@Entity
@Table(name = "license_activation")
class LicenseActivation {

    @Id
    private UUID id;
    @Column(name = "license_id")
    private UUID licenseId;
    @Column(name = "hardware_id_hash")
    private String hardwareIdHash;
    @Column(name = "proxy_key_id")
    private UUID proxyKeyId;
    private String scheme;
    @Column(name = "activated_at")
    private Instant activatedAt;
    @Column(name = "last_activated_at")
    private Instant lastActivatedAt;
    @Column(name = "deactivated_at")
    private Instant deactivatedAt;

    protected LicenseActivation() {
    }

    LicenseActivation(UUID id, UUID licenseId, String hardwareIdHash, UUID proxyKeyId, ActivationScheme scheme,
                      Instant now) {
        this.id = id;
        this.licenseId = licenseId;
        this.hardwareIdHash = hardwareIdHash;
        this.proxyKeyId = proxyKeyId;
        this.scheme = scheme.id();
        this.activatedAt = now;
        this.lastActivatedAt = now;
    }

    /** The device activated again (or after a deactivation): it holds {@code proxyKeyId} from now on. */
    void reactivate(UUID proxyKeyId, ActivationScheme scheme, Instant now) {
        if (deactivatedAt != null) {
            activatedAt = now;
            deactivatedAt = null;
        }
        this.proxyKeyId = proxyKeyId;
        this.scheme = scheme.id();
        this.lastActivatedAt = now;
    }

    void deactivate(Instant now) {
        if (deactivatedAt == null) {
            deactivatedAt = now;
        }
    }

    boolean active() {
        return deactivatedAt == null;
    }

    UUID id() {
        return id;
    }

    UUID licenseId() {
        return licenseId;
    }

    String hardwareIdHash() {
        return hardwareIdHash;
    }

    UUID proxyKeyId() {
        return proxyKeyId;
    }

    String scheme() {
        return scheme;
    }

    Instant activatedAt() {
        return activatedAt;
    }

    Instant lastActivatedAt() {
        return lastActivatedAt;
    }

    Instant deactivatedAt() {
        return deactivatedAt;
    }
}
