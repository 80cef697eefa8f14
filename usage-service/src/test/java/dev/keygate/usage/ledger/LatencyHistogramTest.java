package dev.keygate.usage.ledger;

import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LatencyHistogramTest {

    @Test
    void everyValueUpToTenMinutesIsAnsweredAtMostFivePercentHigh() {
        for (long ms = 1; ms <= 600_000; ms++) {
            long reported = LatencyHistogram.upperBound(LatencyHistogram.bucketOf(ms));
            assertThat(reported).as("%d ms", ms).isGreaterThanOrEqualTo(ms);
            assertThat((double) reported).as("%d ms", ms).isLessThan(ms * 1.05);
        }
    }

    @Test
    void valuesUpToTwentyMillisecondsHaveABucketEach() {
        for (long ms = 0; ms <= 20; ms++) {
            assertThat(LatencyHistogram.upperBound(LatencyHistogram.bucketOf(ms))).isEqualTo(ms);
        }
    }

    @Test
    void percentilesAreNearestRank() {
        TreeMap<Integer, Long> counts = new TreeMap<>();
        for (long ms = 1; ms <= 10; ms++) {
            counts.merge(LatencyHistogram.bucketOf(ms), 1L, Long::sum);
        }
        assertThat(LatencyHistogram.percentile(counts, 0.5)).isEqualTo(5);
        assertThat(LatencyHistogram.percentile(counts, 0.51)).isEqualTo(6);
        assertThat(LatencyHistogram.percentile(counts, 0.99)).isEqualTo(10);
        assertThat(LatencyHistogram.percentile(new TreeMap<>(), 0.5)).isNull();
    }
}
