package dev.keygate.proxy.limits;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Calls in progress per subject; an entry disappears when its last call ends, so idle subjects cost nothing. */
final class InFlightCounters {

    private final ConcurrentHashMap<String, AtomicInteger> counters = new ConcurrentHashMap<>();

    /** Takes a slot if fewer than {@code cap} are taken; returns the number in flight including it, or -1 if full. */
    int tryAcquire(String subject, int cap) {
        int[] result = {-1};
        counters.compute(subject, (key, current) -> {
            AtomicInteger counter = current == null ? new AtomicInteger() : current;
            if (counter.get() < cap) {
                result[0] = counter.incrementAndGet();
            }
            return counter.get() == 0 ? null : counter;
        });
        return result[0];
    }

    void release(String subject) {
        counters.computeIfPresent(subject, (key, counter) -> counter.decrementAndGet() <= 0 ? null : counter);
    }

    int inFlight(String subject) {
        AtomicInteger counter = counters.get(subject);
        return counter == null ? 0 : counter.get();
    }
}
