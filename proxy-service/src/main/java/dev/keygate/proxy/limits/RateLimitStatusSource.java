package dev.keygate.proxy.limits;

import java.time.Instant;
import java.util.Optional;

import dev.keygate.proxy.clientauth.Caller;

/**
 * Where {@code GET /api/rate-limit-status} (seed 003) reads a caller's current request allowance. The rate limiter
 * implements it; while no bean of this type exists the route reports that no limit applies.
 */
public interface RateLimitStatusSource {

    /** The caller's tightest current limit, or empty when no limit applies to them. Must not block. */
    Optional<RateLimitStatus> statusOf(Caller caller);

    /**
     * @param limit requests allowed per window
     * @param remaining requests left in the current window
     * @param reset when the current window ends
     * @param windowSeconds the window's length
     */
    record RateLimitStatus(long limit, long remaining, Instant reset, long windowSeconds) {
    }
}
