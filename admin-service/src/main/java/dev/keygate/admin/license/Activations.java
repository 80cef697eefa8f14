package dev.keygate.admin.license;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import dev.keygate.admin.proxykey.ProxyKeyIssuer;
import dev.keygate.admin.proxykey.ProxyKeyIssuer.IssuedProxyKey;
import dev.keygate.admin.system.InvalidRequestException;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Binds a device to a license and gives it a new proxy key of its own. One slot per hardware id: a device that
 * activates again gets a fresh key and its previous key is revoked (only hashes are kept, so the old key cannot be
 * handed out again), without using another slot. The license row is locked for the duration, so concurrent
 * activations cannot exceed {@code max_activations}.
 */
@Service
class Activations {

    static final int MAX_LICENSE_KEY_LENGTH = 128;
    static final int MAX_HARDWARE_ID_LENGTH = 256;

    private final LicenseRepository licenses;
    private final LicenseActivationRepository activations;
    private final ProxyKeyIssuer proxyKeys;
    private final Clock clock = Clock.systemUTC();

    Activations(LicenseRepository licenses, LicenseActivationRepository activations, ProxyKeyIssuer proxyKeys) {
        this.licenses = licenses;
        this.activations = activations;
        this.proxyKeys = proxyKeys;
    }

    /** The outcome: the device's new key, whose plaintext the caller seals and then forgets. */
    record Activated(UUID licenseId, UUID deviceId, IssuedProxyKey key, Instant expiresAt) {
    }

    @Transactional
    Activated activate(String licenseKey, String hardwareId, ActivationScheme scheme) {
        if (licenseKey == null || licenseKey.isBlank() || hardwareId == null || hardwareId.isBlank()) {
            throw new InvalidRequestException("Send license_key and hardware_id.");
        }
        if (licenseKey.length() > MAX_LICENSE_KEY_LENGTH || hardwareId.length() > MAX_HARDWARE_ID_LENGTH) {
            throw new InvalidRequestException("license_key is at most " + MAX_LICENSE_KEY_LENGTH
                    + " characters and hardware_id at most " + MAX_HARDWARE_ID_LENGTH + ".");
        }
        License license = licenses.findLockedByKeyHash(LicenseKeys.sha256(licenseKey)).orElseThrow(() ->
                new ActivationRefusedException(HttpStatus.FORBIDDEN, "license-invalid", "Invalid license",
                        "This license key is not valid. Check it against the one your vendor sent."));
        Instant now = clock.instant();
        if (license.revokedAt() != null) {
            throw new ActivationRefusedException(HttpStatus.FORBIDDEN, "license-revoked", "License revoked",
                    "This license has been revoked. Ask your vendor for a new one.");
        }
        if (license.expiredAt(now)) {
            throw new ActivationRefusedException(HttpStatus.FORBIDDEN, "license-expired", "License expired",
                    "This license expired at " + license.expiresAt() + ". Ask your vendor to renew it.");
        }

        String hardwareIdHash = LicenseKeys.sha256(hardwareId);
        Optional<LicenseActivation> known = activations.findByLicenseIdAndHardwareIdHash(license.id(), hardwareIdHash);
        boolean holdsSlot = known.map(LicenseActivation::active).orElse(false);
        if (holdsSlot) {
            proxyKeys.revoke(license.tenantId(), license.deviceKeyOwner(), known.get().proxyKeyId());
        }
        else {
            requireFreeSlot(license);
        }

        IssuedProxyKey key = proxyKeys.issueForDevice(license.tenantId(), license.deviceKeyOwner(),
                "license " + license.hint() + " device " + hardwareIdHash.substring(0, 12), license.providers(),
                license.expiresAt(), license.id(), hardwareIdHash, license.dailyRequestLimit(), license.tier());
        LicenseActivation device;
        if (known.isPresent()) {
            device = known.get();
            device.reactivate(key.id(), scheme, now);
        }
        else {
            device = activations.save(new LicenseActivation(UUID.randomUUID(), license.id(), hardwareIdHash, key.id(),
                    scheme, now));
        }
        return new Activated(license.id(), device.id(), key, license.expiresAt());
    }

    private void requireFreeSlot(License license) {
        long active = activations.countByLicenseIdAndDeactivatedAtIsNull(license.id());
        if (license.maxActivations() != null && active >= license.maxActivations()) {
            throw new ActivationRefusedException(HttpStatus.CONFLICT, "activation-limit", "Activation limit reached",
                    "This license is already activated on " + active + " of " + license.maxActivations()
                            + " devices. A platform admin can deactivate a device of this license, or issue a"
                            + " license with more activations.");
        }
    }
}
