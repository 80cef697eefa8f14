package dev.keygate.keyvault.storedkey;

import java.security.Principal;
import java.util.List;

import dev.keygate.contracts.keyvault.v1.ResolveKeyRequest;
import dev.keygate.contracts.keyvault.v1.ResolvedKey;
import dev.keygate.contracts.keyvault.v1.StoreKeyRequest;
import dev.keygate.contracts.keyvault.v1.StoredKeyMetadata;
import dev.keygate.keyvault.envelope.PlainKey;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The vault's API. Management ({@code /v1/tenants/**}) is for admin-service's identity and returns metadata only;
 * {@code /v1/resolve} is for the proxy's identity and is the one answer that carries a key.
 */
@RestController
@RequestMapping("/v1")
class StoredKeyController {

    private final StoredKeys keys;

    StoredKeyController(StoredKeys keys) {
        this.keys = keys;
    }

    @PutMapping("/tenants/{tenantId}/users/{userId}/keys/{provider}")
    StoredKeyMetadata storeUserKey(@PathVariable String tenantId, @PathVariable String userId,
                                   @PathVariable String provider, @RequestBody StoreKeyRequest request,
                                   Principal caller) {
        return keys.store(Owner.user(tenantId, userId), provider, PlainKey.of(request.key()), caller.getName());
    }

    @PutMapping("/tenants/{tenantId}/keys/{provider}")
    StoredKeyMetadata storeOrganisationKey(@PathVariable String tenantId, @PathVariable String provider,
                                           @RequestBody StoreKeyRequest request, Principal caller) {
        return keys.store(Owner.organisation(tenantId), provider, PlainKey.of(request.key()), caller.getName());
    }

    @GetMapping("/tenants/{tenantId}/users/{userId}/keys")
    List<StoredKeyMetadata> listUserKeys(@PathVariable String tenantId, @PathVariable String userId) {
        return keys.list(Owner.user(tenantId, userId));
    }

    @GetMapping("/tenants/{tenantId}/keys")
    List<StoredKeyMetadata> listOrganisationKeys(@PathVariable String tenantId) {
        return keys.list(Owner.organisation(tenantId));
    }

    @DeleteMapping("/tenants/{tenantId}/users/{userId}/keys/{provider}")
    ResponseEntity<Void> deleteUserKey(@PathVariable String tenantId, @PathVariable String userId,
                                       @PathVariable String provider, Principal caller) {
        return deleted(keys.delete(Owner.user(tenantId, userId), provider, caller.getName()));
    }

    @DeleteMapping("/tenants/{tenantId}/keys/{provider}")
    ResponseEntity<Void> deleteOrganisationKey(@PathVariable String tenantId, @PathVariable String provider,
                                               Principal caller) {
        return deleted(keys.delete(Owner.organisation(tenantId), provider, caller.getName()));
    }

    @PostMapping("/resolve")
    ResolvedKey resolve(@RequestBody ResolveKeyRequest request, Principal caller) {
        return keys.resolve(request.tenantId(), request.userId(), request.provider(), caller.getName());
    }

    private static ResponseEntity<Void> deleted(boolean found) {
        return found ? ResponseEntity.noContent().build() : ResponseEntity.notFound().build();
    }
}
