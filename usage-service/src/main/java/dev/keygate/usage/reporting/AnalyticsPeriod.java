package dev.keygate.usage.reporting;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import dev.keygate.usage.ledger.TimeBucket;
import dev.keygate.usage.system.InvalidRequestException;

/**
 * The whole UTC hours (or days, for daily buckets) an analytics request covers: aggregates are kept per hour, so the
 * requested period is widened to the buckets that contain it, and the answer says so. Periods are bounded so one
 * request cannot ask for an unbounded number of rows.
 */
record AnalyticsPeriod(Instant from, Instant to) {

    static final Duration MAX = Duration.ofDays(366);
    static final Duration MAX_HOURLY = Duration.ofDays(31);

    static AnalyticsPeriod covering(Instant from, Instant to, TimeBucket bucket) {
        if (!from.isBefore(to)) {
            throw new InvalidRequestException("'from' must be before 'to'.");
        }
        ChronoUnit unit = bucket == TimeBucket.DAY ? ChronoUnit.DAYS : ChronoUnit.HOURS;
        Instant start = from.truncatedTo(unit);
        Instant end = to.truncatedTo(unit).equals(to) ? to : to.truncatedTo(unit).plus(1, unit);
        Duration length = Duration.between(start, end);
        if (length.compareTo(MAX) > 0) {
            throw new InvalidRequestException("The period from 'from' to 'to' may be at most " + MAX.toDays()
                    + " days; ask for a shorter one.");
        }
        if (bucket == TimeBucket.HOUR && length.compareTo(MAX_HOURLY) > 0) {
            throw new InvalidRequestException("Hourly buckets cover at most " + MAX_HOURLY.toDays()
                    + " days; use 'bucket=day' or a shorter period.");
        }
        return new AnalyticsPeriod(start, end);
    }
}
