package dev.keygate.proxy.limits;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Request counters in fixed windows aligned to the epoch (every minute starts at :00, every UTC day at midnight),
 * one lock-free {@link AtomicLong} per subject: the window's index and the count packed into one long, so a
 * window roll-over and an increment are one compare-and-set. Windows aligned to the clock make the reset time the
 * same for every subject and every proxy instance; the price is that a caller may spend one window's allowance at
 * its end and the next at the start of the next one.
 */
final class WindowCounters {

    private static final int COUNT_BITS = 40;
    private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;
    private static final long INDEX_MASK = (1L << (64 - COUNT_BITS)) - 1;

    private final long windowMillis;
    private final ConcurrentHashMap<String, AtomicLong> counters = new ConcurrentHashMap<>();

    WindowCounters(long windowMillis) {
        if (windowMillis <= 0) {
            throw new IllegalArgumentException("window must be positive");
        }
        this.windowMillis = windowMillis;
    }

    long windowMillis() {
        return windowMillis;
    }

    /** Index of the window {@code nowMillis} falls in. */
    long window(long nowMillis) {
        return Math.floorDiv(nowMillis, windowMillis);
    }

    /** When the window {@code nowMillis} falls in ends. */
    long resetAt(long nowMillis) {
        return (window(nowMillis) + 1) * windowMillis;
    }

    /**
     * Counts one call if fewer than {@code limit} were counted in this window; otherwise counts nothing.
     *
     * @return the count after this call, or {@code -(current count) - 1} when the call was refused
     */
    long tryAcquire(String subject, long limit, long nowMillis) {
        AtomicLong cell = counters.computeIfAbsent(subject, s -> new AtomicLong());
        long index = window(nowMillis) & INDEX_MASK;
        while (true) {
            long packed = cell.get();
            long count = (packed >>> COUNT_BITS) == index ? packed & COUNT_MASK : 0;
            if (count >= limit) {
                return -count - 1;
            }
            if (cell.compareAndSet(packed, (index << COUNT_BITS) | (count + 1))) {
                return count + 1;
            }
        }
    }

    /** Counts one call regardless of any limit (soft policies) and returns the count after it. */
    long increment(String subject, long nowMillis) {
        AtomicLong cell = counters.computeIfAbsent(subject, s -> new AtomicLong());
        long index = window(nowMillis) & INDEX_MASK;
        while (true) {
            long packed = cell.get();
            long count = (packed >>> COUNT_BITS) == index ? packed & COUNT_MASK : 0;
            long next = Math.min(count + 1, COUNT_MASK);
            if (cell.compareAndSet(packed, (index << COUNT_BITS) | next)) {
                return next;
            }
        }
    }

    /** Takes back a call counted by {@link #tryAcquire} in the same window (another limit refused the call). */
    void release(String subject, long nowMillis) {
        AtomicLong cell = counters.get(subject);
        if (cell == null) {
            return;
        }
        long index = window(nowMillis) & INDEX_MASK;
        while (true) {
            long packed = cell.get();
            if ((packed >>> COUNT_BITS) != index || (packed & COUNT_MASK) == 0) {
                return;
            }
            if (cell.compareAndSet(packed, packed - 1)) {
                return;
            }
        }
    }

    /** Calls counted in the current window. */
    long count(String subject, long nowMillis) {
        AtomicLong cell = counters.get(subject);
        if (cell == null) {
            return 0;
        }
        long packed = cell.get();
        return (packed >>> COUNT_BITS) == (window(nowMillis) & INDEX_MASK) ? packed & COUNT_MASK : 0;
    }

    /** Drops counters of past windows, so subjects that stopped calling (or IPs that never return) free memory. */
    void sweep(long nowMillis) {
        long index = window(nowMillis) & INDEX_MASK;
        counters.entrySet().removeIf(entry -> (entry.getValue().get() >>> COUNT_BITS) != index);
    }

    int size() {
        return counters.size();
    }
}
