package dev.keygate.admin.providerkey;

import java.util.List;

import dev.keygate.admin.system.Caller;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** A signed-in user's own provider keys (bring your own key). */
@RestController
@RequestMapping("/api/v1/me/provider-keys")
class ProviderKeyController {

    private final ProviderKeys keys;

    ProviderKeyController(ProviderKeys keys) {
        this.keys = keys;
    }

    @PutMapping("/{provider}")
    ProviderKeyView store(@AuthenticationPrincipal Jwt token, @PathVariable String provider,
                          @RequestBody StoreProviderKey request) {
        return keys.store(Caller.from(token), provider, request);
    }

    @GetMapping
    List<ProviderKeyView> list(@AuthenticationPrincipal Jwt token) {
        return keys.list(Caller.from(token));
    }

    @GetMapping("/{provider}")
    ProviderKeyView get(@AuthenticationPrincipal Jwt token, @PathVariable String provider) {
        return keys.get(Caller.from(token), provider);
    }

    @DeleteMapping("/{provider}")
    ResponseEntity<Void> delete(@AuthenticationPrincipal Jwt token, @PathVariable String provider) {
        keys.delete(Caller.from(token), provider);
        return ResponseEntity.noContent().build();
    }
}
