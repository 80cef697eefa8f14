package dev.keygate.admin.license;

import java.net.URI;
import java.util.List;
import java.util.UUID;

import dev.keygate.admin.system.Caller;
import org.springframework.http.CacheControl;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A platform admin's licenses (the security configuration admits only {@code platform-admin} here): create (the key
 * is shown once), list, read with its devices, revoke, deactivate a device.
 */
@RestController
@RequestMapping("/api/v1/licenses")
class LicenseController {

    private final Licenses licenses;

    LicenseController(Licenses licenses) {
        this.licenses = licenses;
    }

    @PostMapping
    ResponseEntity<LicenseView> create(@AuthenticationPrincipal Jwt token,
                                       @RequestBody(required = false) CreateLicense request) {
        LicenseView created = licenses.create(Caller.from(token), request);
        return ResponseEntity.created(URI.create("/api/v1/licenses/" + created.id()))
                .cacheControl(CacheControl.noStore())
                .body(created);
    }

    @GetMapping
    List<LicenseView> list(@AuthenticationPrincipal Jwt token) {
        return licenses.list(Caller.from(token));
    }

    @GetMapping("/{id}")
    LicenseView get(@AuthenticationPrincipal Jwt token, @PathVariable UUID id) {
        return licenses.get(Caller.from(token), id);
    }

    @DeleteMapping("/{id}")
    LicenseView revoke(@AuthenticationPrincipal Jwt token, @PathVariable UUID id) {
        return licenses.revoke(Caller.from(token), id);
    }

    @DeleteMapping("/{id}/devices/{deviceId}")
    LicenseView deactivate(@AuthenticationPrincipal Jwt token, @PathVariable UUID id, @PathVariable UUID deviceId) {
        return licenses.deactivate(Caller.from(token), id, deviceId);
    }
}
