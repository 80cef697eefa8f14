package dev.keygate.usage.reporting;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import dev.keygate.usage.system.InvalidRequestException;

/**
 * The whole UTC hours a summary covers: totals are kept per hour, so the requested period is widened to the hours
 * that contain it ({@code from} rounded down, {@code to} rounded up) and the answer says so.
 */
record SummaryPeriod(Instant from, Instant to) {

    static SummaryPeriod covering(Instant from, Instant to) {
        if (!from.isBefore(to)) {
            throw new InvalidRequestException("'from' must be before 'to'.");
        }
        Instant start = from.truncatedTo(ChronoUnit.HOURS);
        Instant end = to.truncatedTo(ChronoUnit.HOURS);
        return new SummaryPeriod(start, end.equals(to) ? end : end.plus(Duration.ofHours(1)));
    }
}
