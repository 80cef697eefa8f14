package dev.keygate.proxy.limits;

import java.time.Duration;

import dev.keygate.proxy.clientauth.Caller;
import reactor.core.publisher.Mono;

/**
 * Admission against budgets and token quotas (a proxy key's {@code monthlyBudgetUsd}, policies' token and cost
 * limits), which usage-service tracks from its ledger and will publish. Called once per call after the request
 * limits admitted it; must not block. Until an implementation is provided, every call is admitted.
 */
public interface BudgetAdmission {

    Mono<Verdict> admit(Caller caller, String provider);

    /**
     * @param message shown to the caller when refused, e.g. "Monthly budget of 20.00 USD spent."
     * @param retryAfter when the budget renews, or {@code null} when unknown
     */
    record Verdict(boolean admitted, String message, Duration retryAfter) {

        public static final Verdict ADMITTED = new Verdict(true, null, null);

        public static Verdict refused(String message, Duration retryAfter) {
            return new Verdict(false, message, retryAfter);
        }
    }
}
