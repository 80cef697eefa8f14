package dev.keygate.admin.providerkey;

import java.time.Instant;
import java.util.List;

import dev.keygate.admin.system.Caller;
import dev.keygate.admin.system.InvalidRequestException;
import dev.keygate.contracts.keyvault.v1.AuditEntry;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * When were my keys used? keyvault's audit of the caller's own keys and of every key served on their behalf
 * (decrypts for their calls, stores, refusals), newest first.
 */
@RestController
class KeyUseController {

    private final KeyvaultClient keyvault;

    KeyUseController(KeyvaultClient keyvault) {
        this.keyvault = keyvault;
    }

    @GetMapping("/api/v1/me/provider-keys/activity")
    List<KeyActivity> activity(@AuthenticationPrincipal Jwt token, @RequestParam(defaultValue = "50") int limit) {
        if (limit < 1 || limit > 500) {
            throw new InvalidRequestException("limit must be between 1 and 500.");
        }
        Caller caller = Caller.from(token);
        return keyvault.audit(caller.tenantId(), caller.userId(), limit).stream().map(KeyActivity::of).toList();
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record KeyActivity(Instant occurredAt, String action, String outcome, String provider, String by, String detail,
                       String traceId) {

        static KeyActivity of(AuditEntry entry) {
            String by = entry.caller() == null ? null : entry.caller().replace("spiffe://keygate/", "");
            return new KeyActivity(entry.occurredAt(), entry.action(), entry.outcome(), entry.provider(), by,
                    entry.detail(), entry.traceId());
        }
    }
}
