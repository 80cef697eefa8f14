package dev.keygate.admin.license;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import dev.keygate.admin.proxykey.ProxyKeyIssuer;
import dev.keygate.admin.system.Caller;
import dev.keygate.admin.system.InvalidRequestException;
import dev.keygate.admin.system.NotFoundException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * A platform admin's licenses within their tenant: create (the key is shown once), list, read with devices, revoke
 * (every device's proxy key with it), deactivate one device.
 */
@Service
class Licenses {

    private static final Pattern PROVIDER = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

    private final LicenseRepository licenses;
    private final LicenseActivationRepository activations;
    private final ProxyKeyIssuer proxyKeys;
    private final Clock clock = Clock.systemUTC();

    Licenses(LicenseRepository licenses, LicenseActivationRepository activations, ProxyKeyIssuer proxyKeys) {
        this.licenses = licenses;
        this.activations = activations;
        this.proxyKeys = proxyKeys;
    }

    @Transactional
    LicenseView create(Caller caller, CreateLicense request) {
        if (request == null || request.tier() == null) {
            throw new InvalidRequestException("Name the license's tier: " + LicenseTier.ids() + ".");
        }
        LicenseTier tier = LicenseTier.of(request.tier()).orElseThrow(() -> new InvalidRequestException(
                "Unknown tier '" + request.tier() + "'; the tiers are " + LicenseTier.ids() + "."));
        String name = request.name() == null || request.name().isBlank() ? tier.id() + " license" : request.name().strip();
        if (name.length() > 100) {
            throw new InvalidRequestException("A license name is at most 100 characters.");
        }
        Integer maxActivations = positiveOrDefault(request.maxActivations(), tier.maxActivations(), "max_activations");
        Integer dailyLimit = positiveOrDefault(request.dailyRequestLimit(), tier.dailyRequestLimit(),
                "daily_request_limit");
        List<String> providers = request.providers() == null ? List.of() : List.copyOf(request.providers());
        providers.forEach(provider -> {
            if (provider == null || !PROVIDER.matcher(provider).matches()) {
                throw new InvalidRequestException("Providers are ids like 'openai' or 'anthropic'.");
            }
        });
        Instant now = clock.instant();
        if (request.expiresAt() != null && !request.expiresAt().isAfter(now)) {
            throw new InvalidRequestException("expires_at must be in the future.");
        }

        String key = LicenseKeys.newKey();
        License license = licenses.save(new License(UUID.randomUUID(), caller.tenantId(), name,
                LicenseKeys.sha256(key), key.substring(key.length() - 4), tier, dailyLimit, maxActivations, providers,
                caller.userId(), now, request.expiresAt()));
        return LicenseView.of(license, 0).withKey(key);
    }

    @Transactional(readOnly = true)
    List<LicenseView> list(Caller caller) {
        List<License> found = licenses.findByTenantIdOrderByCreatedAtDesc(caller.tenantId());
        Map<UUID, Long> active = activations.findByLicenseIdInAndDeactivatedAtIsNull(
                        found.stream().map(License::id).toList()).stream()
                .collect(Collectors.groupingBy(LicenseActivation::licenseId, Collectors.counting()));
        return found.stream().map(license -> LicenseView.of(license, active.getOrDefault(license.id(), 0L))).toList();
    }

    @Transactional(readOnly = true)
    LicenseView get(Caller caller, UUID id) {
        License license = licenses.findByIdAndTenantId(id, caller.tenantId()).orElseThrow(() -> notFound(id));
        return withDevices(license);
    }

    /** Revokes the license and the proxy key of every device activated on it; revoking twice is harmless. */
    @Transactional
    LicenseView revoke(Caller caller, UUID id) {
        License license = licenses.findLockedByIdAndTenantId(id, caller.tenantId()).orElseThrow(() -> notFound(id));
        Instant now = clock.instant();
        license.revoke(now);
        for (LicenseActivation device : activations.findByLicenseIdOrderByActivatedAtAsc(license.id())) {
            if (device.active()) {
                proxyKeys.revoke(license.tenantId(), license.deviceKeyOwner(), device.proxyKeyId());
                device.deactivate(now);
            }
        }
        return withDevices(license);
    }

    /** Frees one device's slot and revokes its proxy key; the device may activate again later. */
    @Transactional
    LicenseView deactivate(Caller caller, UUID id, UUID deviceId) {
        License license = licenses.findLockedByIdAndTenantId(id, caller.tenantId()).orElseThrow(() -> notFound(id));
        LicenseActivation device = activations.findById(deviceId)
                .filter(found -> found.licenseId().equals(license.id()))
                .orElseThrow(() -> new NotFoundException("License " + id + " has no device " + deviceId + "."));
        if (device.active()) {
            proxyKeys.revoke(license.tenantId(), license.deviceKeyOwner(), device.proxyKeyId());
            device.deactivate(clock.instant());
        }
        return withDevices(license);
    }

    private LicenseView withDevices(License license) {
        List<LicenseActivation> devices = activations.findByLicenseIdOrderByActivatedAtAsc(license.id());
        return LicenseView.of(license, devices.stream().filter(LicenseActivation::active).count())
                .withDevices(devices.stream().map(LicenseView.DeviceView::of).toList());
    }

    private static Integer positiveOrDefault(Integer requested, Integer tierDefault, String field) {
        if (requested == null) {
            return tierDefault;
        }
        if (requested < 1) {
            throw new InvalidRequestException(field + " must be at least 1; leave it out for the tier's default.");
        }
        return requested;
    }

    private static NotFoundException notFound(UUID id) {
        return new NotFoundException("Your tenant has no license " + id + ".");
    }
}
