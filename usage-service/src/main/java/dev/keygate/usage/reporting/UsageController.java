package dev.keygate.usage.reporting;

import java.time.Instant;
import java.util.List;

import dev.keygate.usage.ledger.LedgerEntry;
import dev.keygate.usage.ledger.UsageHistory;
import dev.keygate.usage.system.Caller;
import dev.keygate.usage.system.InvalidRequestException;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Usage of the caller's own tenant: recent ledger events and totals per provider and model. */
@RestController
@RequestMapping("/api/v1/usage")
class UsageController {

    static final int MAX_EVENTS = 500;

    private final UsageHistory history;

    UsageController(UsageHistory history) {
        this.history = history;
    }

    @GetMapping("/events")
    List<LedgerEntry> events(@AuthenticationPrincipal Jwt token, @RequestParam(defaultValue = "50") int limit) {
        Caller caller = Caller.from(token);
        if (limit < 1 || limit > MAX_EVENTS) {
            throw new InvalidRequestException("'limit' must be between 1 and " + MAX_EVENTS + ".");
        }
        return history.recentEvents(caller.tenantId(), limit);
    }

    @GetMapping("/summary")
    UsageSummary summary(@AuthenticationPrincipal Jwt token, @RequestParam Instant from, @RequestParam Instant to) {
        Caller caller = Caller.from(token);
        SummaryPeriod period = SummaryPeriod.covering(from, to);
        return new UsageSummary(period.from(), period.to(),
                history.totalsByModel(caller.tenantId(), period.from(), period.to()));
    }
}
