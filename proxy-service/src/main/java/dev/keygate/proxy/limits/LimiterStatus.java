package dev.keygate.proxy.limits;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import dev.keygate.proxy.clientauth.Caller;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;

/**
 * Seed 003's {@code /api/rate-limit-status} from the rate limiter's own counters: the hard window limit with the
 * fewest calls left, read without counting anything.
 */
@Component
class LimiterStatus implements RateLimitStatusSource {

    private final RateLimiter limiter;

    LimiterStatus(RateLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    public Optional<RateLimitStatus> statusOf(Caller caller) {
        return tightest(limiter.status(caller));
    }

    @Override
    public Optional<RateLimitStatus> statusOf(ServerHttpRequest anonymous) {
        return tightest(limiter.status(RateLimiter.clientAddress(anonymous)).stream()
                .filter(status -> !status.name().startsWith("failed authentications")).toList());
    }

    private static Optional<RateLimitStatus> tightest(List<LimitStatus> statuses) {
        return statuses.stream()
                .filter(status -> status.hard() && status.resetAt() != null)
                .min(Comparator.comparingLong(LimitStatus::remaining))
                .map(status -> new RateLimitStatus(status.limit(), status.remaining(), status.resetAt(),
                        status.windowSeconds()));
    }
}
