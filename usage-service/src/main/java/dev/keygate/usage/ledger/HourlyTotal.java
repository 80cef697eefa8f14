package dev.keygate.usage.ledger;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;

import dev.keygate.contracts.usage.v1.TokenUsage;
import dev.keygate.contracts.usage.v1.UsageRecorded;

/**
 * What a set of newly recorded events adds to one row of {@code usage_hourly}. An event counts as an error when the
 * client received a status of 400 or above.
 */
record HourlyTotal(Bucket bucket, long requests, long inputTokens, long outputTokens, long cacheReadTokens,
                   long cacheWriteTokens, long errors, BigDecimal cost, long unpriced) {

    /** Stands for a missing user or model, so that both can be part of the primary key. */
    static final String NONE = "";

    /**
     * Folds events into one total per bucket, in primary-key order: concurrent ledger transactions then lock the
     * rows they share in the same order and cannot deadlock.
     */
    static List<HourlyTotal> of(Collection<UsageRecorded> events, Map<UUID, BigDecimal> costs) {
        Map<Bucket, HourlyTotal> totals = new TreeMap<>(Bucket.ORDER);
        for (UsageRecorded event : events) {
            totals.merge(Bucket.of(event), single(event, costs.get(event.eventId())), HourlyTotal::plus);
        }
        return List.copyOf(totals.values());
    }

    /** An event without a cost is unpriced when it used tokens: its model has no price version yet. */
    private static HourlyTotal single(UsageRecorded event, BigDecimal cost) {
        TokenUsage usage = event.usage();
        boolean unpriced = cost == null && usage.totalTokens() > 0;
        return new HourlyTotal(Bucket.of(event), 1, usage.inputTokens(), usage.outputTokens(), usage.cacheReadTokens(),
                usage.cacheWriteTokens(), event.status() >= 400 ? 1 : 0, cost == null ? BigDecimal.ZERO : cost,
                unpriced ? 1 : 0);
    }

    private HourlyTotal plus(HourlyTotal other) {
        return new HourlyTotal(bucket, Math.addExact(requests, other.requests),
                Math.addExact(inputTokens, other.inputTokens), Math.addExact(outputTokens, other.outputTokens),
                Math.addExact(cacheReadTokens, other.cacheReadTokens),
                Math.addExact(cacheWriteTokens, other.cacheWriteTokens), Math.addExact(errors, other.errors),
                cost.add(other.cost), Math.addExact(unpriced, other.unpriced));
    }

    /** The dimensions of one {@code usage_hourly} row; {@code hour} is the start of the UTC hour. */
    record Bucket(String tenantId, Instant hour, String provider, String model, String userId) {

        static final Comparator<Bucket> ORDER = Comparator.comparing(Bucket::tenantId)
                .thenComparing(Bucket::hour)
                .thenComparing(Bucket::provider)
                .thenComparing(Bucket::model)
                .thenComparing(Bucket::userId);

        static Bucket of(UsageRecorded event) {
            return new Bucket(event.tenantId(), event.occurredAt().truncatedTo(ChronoUnit.HOURS), event.provider(),
                    Objects.requireNonNullElse(event.model(), NONE), Objects.requireNonNullElse(event.userId(), NONE));
        }
    }
}
