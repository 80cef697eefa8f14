package dev.keygate.keyvault.storedkey;

import java.security.Principal;
import java.util.List;
import java.util.UUID;

import dev.keygate.contracts.keyvault.v1.ResolveKeyRequest;
import dev.keygate.contracts.keyvault.v1.ResolvedKey;
import dev.keygate.contracts.keyvault.v1.StoreKeyRequest;
import dev.keygate.contracts.keyvault.v1.StoredKeyMetadata;
import dev.keygate.contracts.keyvault.v1.TenantKeyPolicy;
import dev.keygate.keyvault.envelope.PlainKey;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The vault's key API. Management ({@code /v1/tenants/**}) is for admin-service's identity and returns metadata only;
 * {@code /v1/resolve} and {@code /v1/keys/{id}/rejected} are for the proxy's identity, and resolve is the one answer
 * that carries a key. {@code ?validate=true} on a store asks the provider whether it accepts the key.
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
                                   @PathVariable String provider, @RequestParam(defaultValue = "0") int priority,
                                   @RequestParam(defaultValue = "false") boolean validate,
                                   @RequestBody StoreKeyRequest request, Principal caller) {
        return checked(tenantId, keys.store(Owner.user(tenantId, userId), provider, priority, plain(request),
                request.label(), caller.getName()), validate, caller);
    }

    @PutMapping("/tenants/{tenantId}/keys/{provider}")
    StoredKeyMetadata storeOrganisationKey(@PathVariable String tenantId, @PathVariable String provider,
                                           @RequestParam(defaultValue = "0") int priority,
                                           @RequestParam(defaultValue = "false") boolean validate,
                                           @RequestBody StoreKeyRequest request, Principal caller) {
        return checked(tenantId, keys.store(Owner.organisation(tenantId), provider, priority, plain(request),
                request.label(), caller.getName()), validate, caller);
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
                                       @PathVariable String provider, @RequestParam(required = false) Integer priority,
                                       Principal caller) {
        return deleted(keys.delete(Owner.user(tenantId, userId), provider, priority, caller.getName()));
    }

    @DeleteMapping("/tenants/{tenantId}/keys/{provider}")
    ResponseEntity<Void> deleteOrganisationKey(@PathVariable String tenantId, @PathVariable String provider,
                                               @RequestParam(required = false) Integer priority, Principal caller) {
        return deleted(keys.delete(Owner.organisation(tenantId), provider, priority, caller.getName()));
    }

    @PostMapping("/tenants/{tenantId}/key-checks/{secretId}")
    StoredKeyMetadata check(@PathVariable String tenantId, @PathVariable UUID secretId, Principal caller) {
        return keys.check(tenantId, secretId, caller.getName());
    }

    @GetMapping("/tenants/{tenantId}/policy")
    TenantKeyPolicy policy(@PathVariable String tenantId) {
        return keys.policy(tenantId);
    }

    @PutMapping("/tenants/{tenantId}/policy")
    TenantKeyPolicy setPolicy(@PathVariable String tenantId, @RequestBody TenantKeyPolicy policy, Principal caller) {
        return keys.setPolicy(tenantId, policy, caller.getName());
    }

    @PostMapping("/resolve")
    ResolvedKey resolve(@RequestBody ResolveKeyRequest request, Principal caller) {
        return keys.resolve(request.tenantId(), request.userId(), request.provider(), caller.getName());
    }

    @PostMapping("/keys/{secretId}/rejected")
    ResponseEntity<Void> rejected(@PathVariable UUID secretId, @RequestBody(required = false) RejectionReport report,
                                  Principal caller) {
        keys.reportRejected(secretId, report == null ? null : report.reason(), caller.getName());
        return ResponseEntity.noContent().build();
    }

    /** @param reason what the provider answered, e.g. "401 invalid_api_key"; never the key */
    record RejectionReport(String reason) {
    }

    private StoredKeyMetadata checked(String tenantId, StoredKeyMetadata stored, boolean validate, Principal caller) {
        return validate ? keys.check(tenantId, stored.secretId(), caller.getName()) : stored;
    }

    private static PlainKey plain(StoreKeyRequest request) {
        return PlainKey.of(request.key());
    }

    private static ResponseEntity<Void> deleted(boolean found) {
        return found ? ResponseEntity.noContent().build() : ResponseEntity.notFound().build();
    }
}
