package dev.keygate.admin.providerkey;

import java.util.List;
import java.util.regex.Pattern;

import dev.keygate.admin.system.Caller;
import dev.keygate.admin.system.InvalidRequestException;
import dev.keygate.admin.system.NotFoundException;
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
 * (seed 001's "one API key serves many customers"). The key goes to keyvault; nothing of it is kept here.
 */
@RestController
@RequestMapping("/api/v1/org/provider-keys")
class OrganisationKeyController {

    private static final Pattern PROVIDER = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

    private final KeyvaultClient keyvault;

    OrganisationKeyController(KeyvaultClient keyvault) {
        this.keyvault = keyvault;
    }

    @PutMapping("/{provider}")
    OrganisationKeyView store(@AuthenticationPrincipal Jwt token, @PathVariable String provider,
                              @RequestBody StoreProviderKey request) {
        checkProvider(provider);
        if (request == null || request.apiKey() == null || request.apiKey().isBlank()) {
            throw new InvalidRequestException("Send the key as {\"api_key\": \"<the organisation's " + provider + " key>\"}.");
        }
        return OrganisationKeyView.of(keyvault.storeOrganisationKey(Caller.from(token).tenantId(), provider,
                request.apiKey().strip(), null));
    }

    @GetMapping
    List<OrganisationKeyView> list(@AuthenticationPrincipal Jwt token) {
        return keyvault.listOrganisationKeys(Caller.from(token).tenantId()).stream().map(OrganisationKeyView::of).toList();
    }

    @DeleteMapping("/{provider}")
    ResponseEntity<Void> delete(@AuthenticationPrincipal Jwt token, @PathVariable String provider) {
        checkProvider(provider);
        if (!keyvault.deleteOrganisationKey(Caller.from(token).tenantId(), provider)) {
            throw new NotFoundException("Your organisation has no " + provider + " key.");
        }
        return ResponseEntity.noContent().build();
    }

    private static void checkProvider(String provider) {
        if (!PROVIDER.matcher(provider).matches()) {
            throw new InvalidRequestException("Provider ids are 1-64 lower-case letters, digits or '-', like 'openai'.");
        }
    }
}
