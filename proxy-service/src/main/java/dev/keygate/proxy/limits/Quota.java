package dev.keygate.proxy.limits;

import java.time.Instant;

/** What the {@code X-RateLimit-*} headers show: one window limit, what is left of it and when it resets. */
record Quota(long limit, long remaining, Instant resetAt) {

    /** The more restrictive of two: fewer calls left, then the later reset, then the lower limit. */
    static Quota tighter(Quota a, Quota b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        if (a.remaining != b.remaining) {
            return a.remaining < b.remaining ? a : b;
        }
        if (!a.resetAt.equals(b.resetAt)) {
            return a.resetAt.isAfter(b.resetAt) ? a : b;
        }
        return a.limit <= b.limit ? a : b;
    }
}
