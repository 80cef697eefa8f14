package dev.keygate.admin.quota;

import java.net.URI;
import java.util.List;
import java.util.UUID;

import dev.keygate.admin.license.TierDefaults;
import dev.keygate.admin.system.Caller;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Quota policies of the caller's tenant: platform admins change them, analysts and platform admins read them (the
 * security configuration decides who gets here). Tier defaults are the limits a new license of each tier gets.
 */
@RestController
@RequestMapping("/api/v1/quota-policies")
class QuotaPolicyController {

    private final QuotaPolicies policies;

    QuotaPolicyController(QuotaPolicies policies) {
        this.policies = policies;
    }

    @PostMapping
    ResponseEntity<QuotaPolicyView> create(@AuthenticationPrincipal Jwt token,
                                           @RequestBody(required = false) QuotaPolicyRequest request) {
        QuotaPolicyView created = policies.create(Caller.from(token), request);
        return ResponseEntity.created(URI.create("/api/v1/quota-policies/" + created.id())).body(created);
    }

    @GetMapping
    List<QuotaPolicyView> list(@AuthenticationPrincipal Jwt token) {
        return policies.list(Caller.from(token));
    }

    @GetMapping("/tier-defaults")
    List<TierDefaults> tierDefaults() {
        return TierDefaults.all();
    }

    @GetMapping("/{id}")
    QuotaPolicyView get(@AuthenticationPrincipal Jwt token, @PathVariable UUID id) {
        return policies.get(Caller.from(token), id);
    }

    @PutMapping("/{id}")
    QuotaPolicyView update(@AuthenticationPrincipal Jwt token, @PathVariable UUID id,
                           @RequestBody(required = false) QuotaPolicyRequest request) {
        return policies.update(Caller.from(token), id, request);
    }

    @DeleteMapping("/{id}")
    ResponseEntity<Void> delete(@AuthenticationPrincipal Jwt token, @PathVariable UUID id) {
        policies.delete(Caller.from(token), id);
        return ResponseEntity.noContent().build();
    }
}
