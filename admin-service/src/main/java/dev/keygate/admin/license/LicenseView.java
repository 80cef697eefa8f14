package dev.keygate.admin.license;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * A license as the API shows it. {@code licenseKey} is present exactly once: in the answer that created it. Absent
 * limits are unlimited; {@code devices} is listed when one license is read.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
record LicenseView(UUID id, String name, String licenseKey, String hint, String tier, Integer dailyRequestLimit,
                   Integer maxActivations, List<String> providers, long activeDevices, Instant createdAt,
                   Instant expiresAt, Instant revokedAt, List<DeviceView> devices) {

    static LicenseView of(License license, long activeDevices) {
        return new LicenseView(license.id(), license.name(), null, license.hint(), license.tier(),
                license.dailyRequestLimit(), license.maxActivations(), license.providers(), activeDevices,
                license.createdAt(), license.expiresAt(), license.revokedAt(), null);
    }

    LicenseView withKey(String plaintext) {
        return new LicenseView(id, name, plaintext, hint, tier, dailyRequestLimit, maxActivations, providers,
                activeDevices, createdAt, expiresAt, revokedAt, devices);
    }

    LicenseView withDevices(List<DeviceView> list) {
        return new LicenseView(id, name, licenseKey, hint, tier, dailyRequestLimit, maxActivations, providers,
                activeDevices, createdAt, expiresAt, revokedAt, list);
    }

    @Override
    public String toString() {
        return "LicenseView[id=" + id + ", tier=" + tier + ", licenseKey=" + (licenseKey == null ? null : "***") + "]";
    }

    /** A device the license was activated on; the hardware id itself is not kept, only its SHA-256. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record DeviceView(UUID id, String hardwareIdHash, UUID proxyKeyId, String scheme, Instant activatedAt,
                      Instant lastActivatedAt, Instant deactivatedAt) {

        static DeviceView of(LicenseActivation activation) {
            return new DeviceView(activation.id(), activation.hardwareIdHash(), activation.proxyKeyId(),
                    activation.scheme(), activation.activatedAt(), activation.lastActivatedAt(),
                    activation.deactivatedAt());
        }
    }
}
