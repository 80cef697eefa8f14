package dev.keygate.proxy.limits;

import java.time.Instant;
import java.util.Optional;

import dev.keygate.proxy.clientauth.Caller;
import org.springframework.http.server.reactive.ServerHttpRequest;

/**
 * Where {@code GET /api/rate-limit-status} (seed 003) reads a caller's current request allowance. {@link LimiterStatus}
 * answers from the rate limiter's counters.
 */
public interface RateLimitStatusSource {

    /** The caller's tightest current limit, or empty when no limit applies to them. Must not block. */
    Optional<RateLimitStatus> statusOf(Caller caller);

    /** The tightest limit on calls from this client address before authentication (seed 003's per-IP limit). */
    Optional<RateLimitStatus> statusOf(ServerHttpRequest anonymous);

    /**
     * @param limit requests allowed per window
     * @param remaining requests left in the current window
     * @param reset when the current window ends
     * @param windowSeconds the window's length
     */
    record RateLimitStatus(long limit, long remaining, Instant reset, long windowSeconds) {
    }
}
