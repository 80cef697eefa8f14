package dev.keygate.proxy.limits;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.keygate.contracts.usage.v1.BudgetState;
import dev.keygate.proxy.clientauth.Caller;
import reactor.core.publisher.Mono;

/**
 * {@link BudgetAdmission} against the budget states usage-service publishes: a call is refused while a hard budget
 * of its tenant, its user, its proxy key or its license tier is exhausted in the current period. A tier budget reaches
 * every caller whose device key belongs to a license of that tier ({@link Caller#licenseTier()}); usage-service counts
 * the whole tier's spend against it, not each license's. A map lookup per scope on the request path; states arrive
 * from the compacted topic (see {@link BudgetStatesListener}). A state whose period has ended is ignored: the budget
 * renewed, and usage-service publishes the new period's state.
 */
public class PublishedBudgets implements BudgetAdmission {

    /** Exhausted hard budgets by tenant, scope and subject; at most one verdict per subject is kept (the latest end). */
    private final Map<String, BudgetState> exhausted = new ConcurrentHashMap<>();
    private final Map<String, BudgetState> byKey = new ConcurrentHashMap<>();
    /** Hard budgets by tenant, then by key: what a call of the tenant may have to reserve against. */
    private final Map<String, Map<String, BudgetState>> hardByTenant = new ConcurrentHashMap<>();
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
        if (state.hard()) {
            hardByTenant.computeIfAbsent(state.tenantId(), tenant -> new ConcurrentHashMap<>()).put(state.key(), state);
        }
        else if (previous != null && previous.hard()) {
            Map<String, BudgetState> tenant = hardByTenant.get(state.tenantId());
            if (tenant != null) {
                tenant.remove(state.key());
            }
        }
    }

    /** The hard budgets of the current period that this caller's calls count against. */
    public List<BudgetState> hardBudgetsOf(Caller caller) {
        Map<String, BudgetState> tenant = hardByTenant.get(caller.tenantId());
        if (tenant == null || tenant.isEmpty()) {
            return List.of();
        }
        Instant now = clock.instant();
        List<BudgetState> found = new ArrayList<>(2);
        for (BudgetState state : tenant.values()) {
            if (now.isBefore(state.periodEnd()) && !now.isBefore(state.periodStart()) && reaches(state, caller)) {
                found.add(state);
            }
        }
        return found;
    }

    static String message(BudgetState state, String detail) {
        return whose(state) + " " + ("day".equals(state.period()) ? "daily " : "monthly ") + "budget "
                + (state.limitUsd() != null ? "of " + state.limitUsd().toPlainString() + " USD" : "")
                + (state.limitUsd() != null && state.limitTokens() != null ? " and " : "")
                + (state.limitTokens() != null ? "of " + state.limitTokens() + " tokens" : "")
                + " cannot cover this call: " + detail;
    }

    private static String whose(BudgetState state) {
        return switch (state.scope()) {
            case "tenant" -> "Your organisation's";
            case "user" -> "Your";
            case "tier" -> "The " + state.subject() + " license tier's";
            default -> "This proxy key's";
        };
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
        return switch (state.scope()) {
            case "tenant" -> true;
            case "user" -> state.subject().equals(caller.userId());
            case "tier" -> state.subject().equals(caller.licenseTier());
            default -> state.subject().equals(caller.proxyKeyId());
        };
    }

    private static String message(BudgetState state) {
        String whose = whose(state);
        String limit = state.limitUsd() != null && state.spentUsd().compareTo(state.limitUsd()) >= 0
                ? state.limitUsd().toPlainString() + " USD budget" : state.limitTokens() + "-token quota";
        return whose + " " + ("day".equals(state.period()) ? "daily " : "monthly ") + limit + " is spent ("
                + state.spentUsd().toPlainString() + " USD, " + state.spentTokens() + " tokens this "
                + state.period() + ").";
    }
}
