package dev.keygate.admin.providerkey;

import java.util.List;
import java.util.regex.Pattern;

import dev.keygate.admin.system.Caller;
import dev.keygate.admin.system.InvalidRequestException;
import dev.keygate.admin.system.NotFoundException;
import dev.keygate.contracts.admin.v1.ProviderKeyChanged;
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

/**
 * A platform admin's organisation keys: one key that serves every user of the tenant who has none of their own
 * (seed 001's "one API key serves many customers"). The key goes to keyvault; nothing of it is kept here. Every
 * change is announced as {@code provider-key.changed} once keyvault has made it, so proxies drop the cached key.
 */
@RestController
@RequestMapping("/api/v1/org/provider-keys")
class OrganisationKeyController {

    private static final Pattern PROVIDER = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

    private final KeyvaultClient keyvault;
    private final ProviderKeyAnnouncements announcements;

    OrganisationKeyController(KeyvaultClient keyvault, ProviderKeyAnnouncements announcements) {
        this.keyvault = keyvault;
        this.announcements = announcements;
    }

    @PutMapping("/{provider}")
    OrganisationKeyView store(@AuthenticationPrincipal Jwt token, @PathVariable String provider,
                              @RequestBody StoreProviderKey request) {
        checkProvider(provider);
        if (request == null || request.apiKey() == null || request.apiKey().isBlank()) {
            throw new InvalidRequestException("Send the key as {\"api_key\": \"<the organisation's " + provider + " key>\"}.");
        }
        String tenantId = Caller.from(token).tenantId();
        OrganisationKeyView stored = OrganisationKeyView.of(keyvault.storeOrganisationKey(tenantId, provider,
                request.apiKey().strip(), null));
        announcements.organisationKey(tenantId, provider, ProviderKeyChanged.STORED);
        return stored;
    }

    @GetMapping
    List<OrganisationKeyView> list(@AuthenticationPrincipal Jwt token) {
        return keyvault.listOrganisationKeys(Caller.from(token).tenantId()).stream().map(OrganisationKeyView::of).toList();
    }

    @DeleteMapping("/{provider}")
    ResponseEntity<Void> delete(@AuthenticationPrincipal Jwt token, @PathVariable String provider) {
        checkProvider(provider);
        String tenantId = Caller.from(token).tenantId();
        if (!keyvault.deleteOrganisationKey(tenantId, provider)) {
            throw new NotFoundException("Your organisation has no " + provider + " key.");
        }
        announcements.organisationKey(tenantId, provider, ProviderKeyChanged.DELETED);
        return ResponseEntity.noContent().build();
    }

    private static void checkProvider(String provider) {
        if (!PROVIDER.matcher(provider).matches()) {
            throw new InvalidRequestException("Provider ids are 1-64 lower-case letters, digits or '-', like 'openai'.");
        }
    }
}
