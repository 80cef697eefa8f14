package dev.keygate.admin.proxykey;

import java.net.URI;
import java.time.Duration;
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
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** A signed-in user's proxy keys: create (the key is shown once), list, change scope, rotate, revoke. */
@RestController
@RequestMapping("/api/v1/proxy-keys")
class ProxyKeyController {

    private final ProxyKeys keys;

    ProxyKeyController(ProxyKeys keys) {
        this.keys = keys;
    }

    @PostMapping
    ResponseEntity<ProxyKeyView> create(@AuthenticationPrincipal Jwt token,
                                        @RequestBody(required = false) CreateProxyKey request) {
        ProxyKeyView created = keys.issue(Caller.from(token), request);
        return ResponseEntity.created(URI.create("/api/v1/proxy-keys/" + created.id()))
                .cacheControl(CacheControl.noStore())
                .body(created);
    }

    @GetMapping
    List<ProxyKeyView> list(@AuthenticationPrincipal Jwt token) {
        return keys.list(Caller.from(token));
    }

    /** A successor key (shown once); the old one keeps working for {@code grace} (ISO-8601, default PT24H). */
    @PostMapping("/{id}/rotate")
    ResponseEntity<ProxyKeyView> rotate(@AuthenticationPrincipal Jwt token, @PathVariable UUID id,
                                        @RequestParam(defaultValue = "PT24H") Duration grace) {
        ProxyKeyView created = keys.rotate(Caller.from(token), id, grace);
        return ResponseEntity.created(URI.create("/api/v1/proxy-keys/" + created.id()))
                .cacheControl(CacheControl.noStore())
                .body(created);
    }

    /** Replaces the key's providers, models and limits; proxies apply the change within a second. */
    @PutMapping("/{id}/scope")
    ProxyKeyView rescope(@AuthenticationPrincipal Jwt token, @PathVariable UUID id,
                         @RequestBody(required = false) ChangeProxyKeyScope request) {
        return keys.rescope(Caller.from(token), id, request);
    }

    @DeleteMapping("/{id}")
    ProxyKeyView revoke(@AuthenticationPrincipal Jwt token, @PathVariable UUID id) {
        return keys.revoke(Caller.from(token), id);
    }
}
