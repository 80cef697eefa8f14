package dev.keygate.proxy.limits;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.keygate.contracts.usage.v1.BudgetState;
import dev.keygate.proxy.clientauth.Caller;
import reactor.core.publisher.Mono;

/**
 * {@link BudgetAdmission} against the budget states usage-service publishes: a call is refused while a hard budget
 * of its tenant, its user or its proxy key is exhausted in the current period. A map lookup per scope on the request
 * path; states arrive from the compacted topic (see {@link BudgetStatesListener}). A state whose period has ended is
 * ignored: the budget renewed, and usage-service publishes the new period's state.
 */
public class PublishedBudgets implements BudgetAdmission {

    /** Exhausted hard budgets by tenant, scope and subject; at most one verdict per subject is kept (the latest end). */
    private final Map<String, BudgetState> exhausted = new ConcurrentHashMap<>();
    private final Map<String, BudgetState> byKey = new ConcurrentHashMap<>();
    private final Clock clock;

    public PublishedBudgets(Clock clock) {
        this.clock = clock;
    }

    /** Takes the latest state of one budget. */
    public void apply(BudgetState state) {
        BudgetState previous = byKey.put(state.key(), state);
        if (previous != null) {
            exhausted.remove(previous.key());
        }
        if (state.exhausted() && state.hard()) {
            exhausted.put(state.key(), state);
        }
    }

    @Override
    public Mono<Verdict> admit(Caller caller, String provider) {
        if (exhausted.isEmpty()) {
            return Mono.just(Verdict.ADMITTED);
        }
        Instant now = clock.instant();
        for (BudgetState state : exhausted.values()) {
            if (state.tenantId().equals(caller.tenantId()) && now.isBefore(state.periodEnd()) && reaches(state, caller)) {
                return Mono.just(Verdict.refused(message(state), Duration.between(now, state.periodEnd())));
            }
        }
        return Mono.just(Verdict.ADMITTED);
    }

    private static boolean reaches(BudgetState state, Caller caller) {
        if ("tenant".equals(state.scope())) {
            return true;
        }
        if ("user".equals(state.scope())) {
            return state.subject().equals(caller.userId());
        }
        return state.subject().equals(caller.proxyKeyId());
    }

    private static String message(BudgetState state) {
        String whose = "tenant".equals(state.scope()) ? "Your organisation's" : "user".equals(state.scope())
                ? "Your" : "This proxy key's";
        String limit = state.limitUsd() != null && state.spentUsd().compareTo(state.limitUsd()) >= 0
                ? state.limitUsd().toPlainString() + " USD budget" : state.limitTokens() + "-token quota";
        return whose + " " + ("day".equals(state.period()) ? "daily " : "monthly ") + limit + " is spent ("
                + state.spentUsd().toPlainString() + " USD, " + state.spentTokens() + " tokens this "
                + state.period() + ").";
    }
}
