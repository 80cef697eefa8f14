package dev.keygate.proxy.limits;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import dev.keygate.contracts.usage.v1.BudgetShareGranted;
import dev.keygate.contracts.usage.v1.BudgetShareRequested;
import dev.keygate.contracts.usage.v1.BudgetState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Shares of hard budgets held by this proxy instance. A call under a hard budget reserves its worst case (see
 * {@link WorstCase}) against a share of each of its budgets before it is forwarded, and settles with the tokens it
 * really used when it ends; a share that runs short is topped up by asking usage-service, which grants only what the
 * budget has left after spend and every other instance's shares. So all instances together never admit calls whose
 * worst cases exceed the budget (docs/quotas.md states the bound). Reserving and settling are a few synchronized
 * steps on a share; only asking usage-service waits, without holding a thread, for its answer on Kafka.
 */
public class BudgetShares {

    private static final Logger log = LoggerFactory.getLogger(BudgetShares.class);
    /** A share no call took from for this long goes back, so an instance gone quiet does not sit on the budget. */
    static final Duration IDLE_RELEASE = Duration.ofSeconds(2);
    /** How long past its grant's expiry a call in flight may still extend its reservation against the grant. */
    static final Duration EXTEND_GRACE = Duration.ofMinutes(5);

    private final String instanceId;
    private final String region;
    private final Consumer<BudgetShareRequested> sender;
    private final Clock clock;
    private final Duration wait;
    private final Runnable refusals;
    private final Map<String, Share> shares = new ConcurrentHashMap<>();
    private final Map<UUID, Sinks.One<BudgetShareGranted>> pending = new ConcurrentHashMap<>();

    /**
     * @param sender sends a request or release to usage-service; must not block (it is called on the event loop)
     */
    public BudgetShares(String instanceId, String region, Consumer<BudgetShareRequested> sender, Clock clock,
                        Duration wait) {
        this(instanceId, region, sender, clock, wait, () -> { });
    }

    /**
     * @param refusals called for every call a budget cannot cover (counted as a budget refusal)
     */
    public BudgetShares(String instanceId, String region, Consumer<BudgetShareRequested> sender, Clock clock,
                        Duration wait, Runnable refusals) {
        this.refusals = refusals;
        this.instanceId = instanceId;
        this.region = region;
        this.sender = sender;
        this.clock = clock;
        this.wait = wait;
    }

    public String instanceId() {
        return instanceId;
    }

    /**
     * Reserves {@code tokens} against a share of every budget, or errors with {@link Refused} (a budget cannot cover
     * them) or {@link TimeoutException} (usage-service did not answer in time). All or none is reserved.
     */
    public Mono<Reservation> reserve(List<BudgetState> budgets, long tokens) {
        if (budgets.isEmpty() || tokens <= 0) {
            return Mono.just(Reservation.NONE);
        }
        Mono<List<Hold>> holds = Mono.just(List.of());
        for (BudgetState budget : budgets) {
            holds = holds.flatMap(taken -> hold(budget, tokens)
                    .map(hold -> {
                        List<Hold> more = new ArrayList<>(taken);
                        more.add(hold);
                        return more;
                    })
                    .onErrorResume(error -> {
                        taken.forEach(hold -> hold.settle(0));
                        return Mono.error(error);
                    }));
        }
        return holds.map(taken -> new Reservation(taken, clock)).doOnError(Refused.class, refused -> refusals.run());
    }

    /** An answer from usage-service; answers for other instances are ignored. */
    public void onAnswer(BudgetShareGranted answer) {
        if (!instanceId.equals(answer.instanceId())) {
            return;
        }
        if (answer.granted()) {
            share(answer.budgetKey(), answer.periodStart(), null).add(new Grant(answer.grantId(), answer.tokens(),
                    answer.expiresAt(), clock.instant()));
        }
        Sinks.One<BudgetShareGranted> waiting = pending.remove(answer.requestId());
        if (waiting != null) {
            waiting.tryEmitValue(answer);
        }
    }

    /**
     * Gives back shares that expired or went unused for {@link #IDLE_RELEASE} once their calls have all ended, with
     * the tokens they used. Runs off the request path, every second.
     */
    public void sweep() {
        Instant now = clock.instant();
        for (Iterator<Share> shares = this.shares.values().iterator(); shares.hasNext(); ) {
            Share share = shares.next();
            for (Grant done : share.removeSpent(now)) {
                sender.accept(BudgetShareRequested.release(instanceId, region, share.tenantId, share.budgetKey,
                        share.periodStart, done.id, done.usedTokens(), now));
            }
            if (share.isEmpty() && !now.isBefore(share.periodStart.plus(Duration.ofDays(32)))) {
                shares.remove();
            }
        }
    }

    private Mono<Hold> hold(BudgetState budget, long tokens) {
        Share share = share(budget.key(), budget.periodStart(), budget.tenantId());
        Instant now = clock.instant();
        Hold hold = share.take(tokens, now);
        if (hold != null) {
            return Mono.just(hold);
        }
        // Remainders too small for this call go back first (same partition, so usage-service counts them free
        // before it answers the request below); otherwise an instance's budget would crumble into unusable pieces.
        for (Grant fragment : share.removeIdleBelow(tokens, now)) {
            sender.accept(BudgetShareRequested.release(instanceId, region, share.tenantId, share.budgetKey,
                    share.periodStart, fragment.id, fragment.usedTokens(), now));
        }
        // Calls that find the share short at the same moment wait for one request; a share is usually far larger
        // than one call, so its answer serves them all. A call it did not cover asks once more on its own.
        return share.asking(() -> ask(budget, tokens)).flatMap(answer -> {
            Hold granted = share.take(tokens, clock.instant());
            if (granted != null) {
                return Mono.just(granted);
            }
            if (!answer.granted() && answer.remainingTokens() < tokens) {
                return Mono.error(new Refused(budget, answer.reason()));
            }
            return ask(budget, tokens).flatMap(own -> {
                Hold second = share.take(tokens, clock.instant());
                return second != null ? Mono.just(second) : Mono.error(new Refused(budget, own.granted()
                        ? "its shares are all held by calls in flight; retry shortly." : own.reason()));
            });
        });
    }

    private Mono<BudgetShareGranted> ask(BudgetState budget, long tokens) {
        BudgetShareRequested request = BudgetShareRequested.request(instanceId, region, budget.tenantId(),
                budget.key(), budget.periodStart(), tokens, clock.instant());
        Sinks.One<BudgetShareGranted> answer = Sinks.one();
        pending.put(request.eventId(), answer);
        try {
            sender.accept(request);
        }
        catch (RuntimeException ex) {
            pending.remove(request.eventId());
            return Mono.error(new TimeoutException("the budget share request could not be sent: " + ex.getMessage()));
        }
        return answer.asMono().timeout(wait)
                .doOnError(TimeoutException.class, ex -> {
                    pending.remove(request.eventId());
                    log.warn("No budget share answer within {} for budget {}", wait, budget.key());
                });
    }

    private Share share(String budgetKey, Instant periodStart, String tenantId) {
        return shares.computeIfAbsent(budgetKey + '@' + periodStart,
                key -> new Share(tenantId == null ? budgetKey.substring(0, budgetKey.indexOf('/')) : tenantId,
                        budgetKey, periodStart));
    }

    /** A budget that cannot cover a call. */
    public static final class Refused extends RuntimeException {

        private final transient BudgetState budget;

        Refused(BudgetState budget, String reason) {
            super(PublishedBudgets.message(budget, reason), null, false, false);
            this.budget = budget;
        }

        /** When the budget renews. */
        public Instant renewsAt() {
            return budget.periodEnd();
        }
    }

    /** What one call reserved; {@link #settle(long)} once with the tokens it used (later calls are ignored). */
    public static final class Reservation {

        static final Reservation NONE = new Reservation(List.of(), Clock.systemUTC());

        private final List<Hold> holds;
        private final Clock clock;
        private boolean settled;
        private volatile boolean answered;

        Reservation(List<Hold> holds, Clock clock) {
            this.holds = holds;
            this.clock = clock;
        }

        /** Settles and returns the shares the call reserved against, for its usage event; empty if none. */
        public synchronized List<UUID> settle(long usedTokens) {
            if (holds.isEmpty() || settled) {
                return List.of();
            }
            settled = true;
            List<UUID> grants = new ArrayList<>(holds.size());
            for (Hold hold : holds) {
                hold.settle(usedTokens);
                grants.add(hold.grant.id);
            }
            return grants;
        }

        /**
         * Reserves {@code tokens} more for a call that outgrew its worst case (a stream without an output limit), from
         * the grants it already holds: all or none, never asking usage-service, never blocking. False when a grant
         * cannot cover them, when the call is settled, or when it reserved nothing (no hard budget: nothing to
         * extend).
         */
        public synchronized boolean extend(long tokens) {
            if (holds.isEmpty() || settled || tokens <= 0) {
                return false;
            }
            Instant now = clock.instant();
            List<Hold> extended = new ArrayList<>(holds.size());
            for (Hold hold : holds) {
                if (!hold.extend(tokens, now)) {
                    extended.forEach(done -> done.shrink(tokens));
                    return false;
                }
                extended.add(hold);
            }
            return true;
        }

        /** Whether the call reserved against any hard budget. */
        public boolean guarded() {
            return !holds.isEmpty();
        }

        /**
         * The provider answered: the call's usage will settle it once the answer has been relayed (which may be
         * after the exchange itself ended).
         */
        public void answered() {
            answered = true;
        }

        /** Settles a call that ended without an answer to meter as if it used all it reserved. */
        synchronized void settleUnlessAnswered() {
            if (!answered && !holds.isEmpty() && !settled) {
                settled = true;
                holds.forEach(hold -> hold.settle(hold.tokens));
            }
        }

        public synchronized long reservedTokens() {
            return holds.isEmpty() ? 0 : holds.get(0).tokens;
        }
    }

    /** One call's reservation against one grant; guarded by its {@link Reservation}. */
    static final class Hold {

        private final Grant grant;
        private long tokens;

        Hold(Grant grant, long tokens) {
            this.grant = grant;
            this.tokens = tokens;
        }

        void settle(long usedTokens) {
            grant.settle(tokens, usedTokens);
        }

        boolean extend(long more, Instant now) {
            if (!grant.tryExtend(more, now)) {
                return false;
            }
            tokens += more;
            return true;
        }

        void shrink(long less) {
            grant.giveBack(less);
            tokens -= less;
        }
    }

    /** One grant of usage-service: what is left of it, what calls used under it, and how many are in flight. */
    static final class Grant {

        private final UUID id;
        private final Instant expiresAt;
        private long remaining;
        private long used;
        private int inFlight;
        private Instant lastTaken;

        Grant(UUID id, long tokens, Instant expiresAt) {
            this.id = id;
            this.remaining = tokens;
            this.expiresAt = expiresAt;
        }

        Grant(UUID id, long tokens, Instant expiresAt, Instant grantedAt) {
            this(id, tokens, expiresAt);
            this.lastTaken = grantedAt;
        }

        synchronized boolean tryTake(long tokens, Instant now) {
            if (!now.isBefore(expiresAt) || remaining < tokens) {
                return false;
            }
            remaining -= tokens;
            inFlight++;
            lastTaken = now;
            return true;
        }

        /**
         * Takes {@code tokens} more for a call already holding this grant. Unlike {@link #tryTake} it may run past the
         * grant's expiry (the grant is not given back while the call is in flight, so usage-service still counts it
         * whole), but not beyond {@link #EXTEND_GRACE} after it, well within usage-service's settle grace.
         */
        synchronized boolean tryExtend(long tokens, Instant now) {
            if (now.isAfter(expiresAt.plus(EXTEND_GRACE)) || remaining < tokens) {
                return false;
            }
            remaining -= tokens;
            return true;
        }

        synchronized void giveBack(long tokens) {
            remaining += tokens;
        }

        /** Gives back what the call reserved beyond what it used; a call that used more takes it from the rest. */
        synchronized void settle(long reserved, long usedTokens) {
            remaining += reserved - usedTokens;
            used += usedTokens;
            inFlight--;
        }

        /** Expired, or unused for {@link #IDLE_RELEASE}, and no call in flight: time to give it back. */
        synchronized boolean spent(Instant now) {
            return inFlight == 0 && (!now.isBefore(expiresAt)
                    || lastTaken != null && !now.isBefore(lastTaken.plus(IDLE_RELEASE)));
        }

        synchronized boolean idleBelow(long tokens) {
            return inFlight == 0 && remaining < tokens;
        }

        synchronized long usedTokens() {
            return used;
        }
    }

    /** The grants this instance holds for one budget and period. */
    static final class Share {

        private final String tenantId;
        private final String budgetKey;
        private final Instant periodStart;
        private final List<Grant> grants = new ArrayList<>(2);
        private Mono<BudgetShareGranted> asking;

        Share(String tenantId, String budgetKey, Instant periodStart) {
            this.tenantId = tenantId;
            this.budgetKey = budgetKey;
            this.periodStart = periodStart;
        }

        /** The request in progress for this share, or a new one from {@code ask}. */
        synchronized Mono<BudgetShareGranted> asking(java.util.function.Supplier<Mono<BudgetShareGranted>> ask) {
            if (asking == null) {
                java.util.concurrent.atomic.AtomicReference<Mono<BudgetShareGranted>> self =
                        new java.util.concurrent.atomic.AtomicReference<>();
                self.set(ask.get().doFinally(signal -> clearAsking(self.get())).cache());
                asking = self.get();
            }
            return asking;
        }

        private synchronized void clearAsking(Mono<BudgetShareGranted> done) {
            if (asking == done) {
                asking = null;
            }
        }

        synchronized void add(Grant grant) {
            grants.add(grant);
        }

        synchronized Hold take(long tokens, Instant now) {
            for (Grant grant : grants) {
                if (grant.tryTake(tokens, now)) {
                    return new Hold(grant, tokens);
                }
            }
            return null;
        }

        synchronized List<Grant> removeSpent(Instant now) {
            List<Grant> spent = new ArrayList<>(1);
            for (Iterator<Grant> it = grants.iterator(); it.hasNext(); ) {
                Grant grant = it.next();
                if (grant.spent(now)) {
                    it.remove();
                    spent.add(grant);
                }
            }
            return spent;
        }

        /** Removes the grants with no call in flight whose remainder cannot cover {@code tokens}. */
        synchronized List<Grant> removeIdleBelow(long tokens, Instant now) {
            List<Grant> idle = new ArrayList<>(1);
            for (Iterator<Grant> it = grants.iterator(); it.hasNext(); ) {
                Grant grant = it.next();
                if (grant.idleBelow(tokens) || grant.spent(now)) {
                    it.remove();
                    idle.add(grant);
                }
            }
            return idle;
        }

        synchronized boolean isEmpty() {
            return grants.isEmpty();
        }
    }
}
