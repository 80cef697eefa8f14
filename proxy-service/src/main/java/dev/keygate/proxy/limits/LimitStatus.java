package dev.keygate.proxy.limits;

import java.time.Instant;

/**
 * One limit as it stands for a caller or client address, for status pages such as seed 003's
 * {@code /api/rate-limit-status}.
 *
 * @param name what is limited, e.g. {@code proxy-key requests per minute}
 * @param limit calls allowed in the window (or in flight at once for {@code in-flight} limits)
 * @param remaining calls left in the current window
 * @param resetAt when the current window ends; {@code null} for in-flight caps
 * @param hard {@code false} for soft policies, which only report
 * @param windowSeconds the window's length; {@code 0} for in-flight caps
 */
public record LimitStatus(String name, long limit, long remaining, Instant resetAt, boolean hard, long windowSeconds) {
}
