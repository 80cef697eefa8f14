package dev.keygate.usage.reporting;

import java.time.Duration;
import java.time.Instant;

import dev.keygate.usage.ledger.Rerating;
import dev.keygate.usage.system.Caller;
import dev.keygate.usage.system.InvalidRequestException;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /api/v1/ledger/rerate?from=…&to=…}: a platform admin prices the tenant's calls in a period again with
 * today's price list (after a correction in the catalog, or for calls recorded before their model had a price). The
 * security configuration admits only platform admins.
 */
@RestController
class RerateController {

    static final Duration MAX_PERIOD = Duration.ofDays(400);

    private final Rerating rerating;

    RerateController(Rerating rerating) {
        this.rerating = rerating;
    }

    @PostMapping("/api/v1/ledger/rerate")
    Rerating.Result rerate(@AuthenticationPrincipal Jwt token, @RequestParam Instant from, @RequestParam Instant to) {
        Caller caller = Caller.from(token);
        if (!from.isBefore(to) || Duration.between(from, to).compareTo(MAX_PERIOD) > 0) {
            throw new InvalidRequestException("'from' must be before 'to', at most " + MAX_PERIOD.toDays()
                    + " days apart; re-rate longer periods in parts.");
        }
        return rerating.rerate(caller.tenantId(), from, to);
    }
}
