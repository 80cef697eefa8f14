package dev.keygate.admin.provider;

import java.net.URI;
import java.util.List;
import java.util.UUID;

import dev.keygate.admin.system.Caller;
import dev.keygate.admin.system.ProblemResponses;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Seed 002's provider and model API. Reading is open to every signed-in role; creating, changing and deleting
 * providers and models is for platform admins, except that anyone may {@code PUT} just an {@code api_key} to store
 * their own key for a provider, as the seed's "add your key to a predefined provider" flow does.
 * {@code {provider}} is the provider's id or, for convenience, its name.
 */
@RestController
@RequestMapping("/api/v1/providers")
class ProviderController {

    static final String PLATFORM_ADMIN = "ROLE_platform-admin";

    private final ProviderCatalog catalog;
    private final ProblemResponses problems;

    ProviderController(ProviderCatalog catalog, ProblemResponses problems) {
        this.catalog = catalog;
        this.problems = problems;
    }

    @GetMapping
    List<ProviderView> list(@AuthenticationPrincipal Jwt token) {
        return catalog.list(Caller.from(token));
    }

    @GetMapping("/with-keys")
    List<ProviderView> withKeys(@AuthenticationPrincipal Jwt token) {
        return catalog.listWithKeys(Caller.from(token));
    }

    @GetMapping("/{provider}")
    ProviderView get(@AuthenticationPrincipal Jwt token, @PathVariable String provider) {
        return catalog.get(Caller.from(token), provider);
    }

    @PostMapping
    ResponseEntity<ProviderView> create(@AuthenticationPrincipal Jwt token,
                                        @RequestBody(required = false) CreateProvider request) {
        ProviderView created = catalog.create(Caller.from(token), request);
        return ResponseEntity.created(URI.create("/api/v1/providers/" + created.id())).body(created);
    }

    @PutMapping("/{provider}")
    ProviderView update(@AuthenticationPrincipal Jwt token, Authentication authentication,
                        @PathVariable String provider, @RequestBody(required = false) UpdateProvider request) {
        boolean platformAdmin = authentication.getAuthorities().stream()
                .anyMatch(authority -> PLATFORM_ADMIN.equals(authority.getAuthority()));
        return catalog.update(Caller.from(token), provider, request, platformAdmin);
    }

    @DeleteMapping("/{provider}")
    ResponseEntity<Void> delete(@AuthenticationPrincipal Jwt token, @PathVariable String provider) {
        catalog.delete(Caller.from(token), provider);
        return ResponseEntity.noContent().build();
    }

    @GetMapping("/{provider}/models")
    List<ModelView> models(@AuthenticationPrincipal Jwt token, @PathVariable String provider) {
        return catalog.models(Caller.from(token), provider);
    }

    @PostMapping("/{provider}/models")
    ResponseEntity<ModelView> addModel(@AuthenticationPrincipal Jwt token, @PathVariable String provider,
                                       @RequestBody(required = false) AddModel request) {
        return ResponseEntity.status(HttpStatus.CREATED).body(catalog.addModel(Caller.from(token), provider, request));
    }

    /** A new price version for the caller's tenant; usage-service prices calls with the version in force. */
    @PostMapping("/{provider}/prices")
    ResponseEntity<PriceView> reprice(@AuthenticationPrincipal Jwt token, @PathVariable String provider,
                                      @RequestBody(required = false) PriceVersion request) {
        return ResponseEntity.status(HttpStatus.CREATED).body(catalog.reprice(Caller.from(token), provider, request));
    }

    @DeleteMapping("/models/{modelId}")
    ResponseEntity<Void> deleteModel(@AuthenticationPrincipal Jwt token, @PathVariable UUID modelId) {
        catalog.deleteModel(Caller.from(token), modelId);
        return ResponseEntity.noContent().build();
    }

    @ExceptionHandler(CatalogConflictException.class)
    ProblemDetail conflict(CatalogConflictException ex) {
        return problems.problem(HttpStatus.CONFLICT, "duplicate-name", "Name already in use", ex.getMessage());
    }

    @ExceptionHandler(CatalogForbiddenException.class)
    ProblemDetail forbidden(CatalogForbiddenException ex) {
        return problems.problem(HttpStatus.FORBIDDEN, "catalog-change-refused", "Change not allowed", ex.getMessage());
    }
}
