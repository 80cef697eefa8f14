package dev.keygate.usage.reporting;

import java.util.List;
import java.util.Map;

import dev.keygate.usage.ledger.DeadLetterView;
import dev.keygate.usage.system.Caller;
import dev.keygate.usage.system.InvalidRequestException;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/v1/ledger/dead-letters}: usage records the ledger could not read, for platform admins (the
 * security configuration admits only them): the tenant's own and those whose tenant is unknown, newest first, with
 * where they were on Kafka and why they failed, never their content. The count is also the
 * {@code keygate.usage.dead.letters} metric.
 */
@RestController
class DeadLetterController {

    private final DeadLetterView deadLetters;

    DeadLetterController(DeadLetterView deadLetters) {
        this.deadLetters = deadLetters;
    }

    @GetMapping("/api/v1/ledger/dead-letters")
    List<Map<String, Object>> deadLetters(@AuthenticationPrincipal Jwt token,
                                          @RequestParam(defaultValue = "100") int limit) {
        if (limit < 1 || limit > 1000) {
            throw new InvalidRequestException("'limit' must be between 1 and 1000.");
        }
        return deadLetters.list(Caller.from(token).tenantId(), limit);
    }
}
