package dev.keygate.usage.ledger;

import java.util.NavigableMap;

/**
 * The log-scale buckets of {@code usage_latency_hourly}: bucket 0 holds 0 ms, bucket {@code i >= 1} the values
 * {@code v} with {@code 1.05^(i-2) < v <= 1.05^(i-1)}. A percentile is answered with its bucket's upper bound, which
 * is never below the exact value and less than 5 % above it (exact up to 20 ms, where each bucket holds one value).
 */
public final class LatencyHistogram {

    /** SQL for the bucket of the column or expression {@code ms}, the same formula as {@link #bucketOf(long)}. */
    static final String BUCKET_OF_MS =
            "case when ms <= 0 then 0 else 1 + ceil(ln(ms::double precision) / ln(1.05))::integer end";

    private static final double GROWTH = 1.05;

    private LatencyHistogram() {
    }

    static int bucketOf(long ms) {
        return ms <= 0 ? 0 : 1 + (int) Math.ceil(Math.log(ms) / Math.log(GROWTH));
    }

    /** The largest whole millisecond value bucket {@code bucket} can hold. */
    static long upperBound(int bucket) {
        return bucket <= 0 ? 0 : (long) Math.floor(Math.pow(GROWTH, bucket - 1));
    }

    /**
     * The nearest-rank percentile ({@code 0 < p <= 1}) of the counts per bucket: the upper bound of the first
     * bucket by which {@code ceil(p × n)} values have been seen; null for no values.
     */
    static Long percentile(NavigableMap<Integer, Long> counts, double p) {
        long total = counts.values().stream().mapToLong(Long::longValue).sum();
        if (total == 0) {
            return null;
        }
        long rank = Math.max(1, (long) Math.ceil(p * total));
        long seen = 0;
        for (var bucket : counts.entrySet()) {
            seen += bucket.getValue();
            if (seen >= rank) {
                return upperBound(bucket.getKey());
            }
        }
        return upperBound(counts.lastKey());
    }
}
