package dev.keygate.usage.ledger;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.keygate.contracts.usage.v1.TokenUsage;
import dev.keygate.contracts.usage.v1.UsageRecorded;
import dev.keygate.usage.LedgerContext;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The daily aggregates (V10) hold exactly what the raw ledger rows add up to, and analytics over periods that mix
 * partial and whole UTC days (whole days from the daily tables, the edges from the hourly ones) answer exactly what
 * summing {@code usage_event} answers: after ingestion, after a redelivery and after a re-rating. Random calls of one
 * tenant of its own, recorded through the ledger itself.
 */
class DailyAggregatesIT extends LedgerContext {

    private static final Instant DAY_ONE = Instant.parse("2026-03-10T00:00:00Z");
    private static final String[] USERS = {"alice", "bob", "carol", null};
    private static final String[] KEYS = {"k1", "k2", "k3", "k4", null};
    private static final String[] MODELS = {"daily-a", "daily-b", "daily-unpriced", null};
    private static final String[] REGIONS = {"eu-west-1", "us-east-1", null};
    private static final String[] TIERS = {"pro", "free", null};

    /** Periods over the four days of calls: partial days at either edge, whole days only, no whole day at all. */
    private static final String[][] PERIODS = {
            {"2026-03-10T05:00:00Z", "2026-03-13T07:00:00Z"},
            {"2026-03-10T00:00:00Z", "2026-03-12T00:00:00Z"},
            {"2026-03-10T13:00:00Z", "2026-03-12T00:00:00Z"},
            {"2026-03-11T00:00:00Z", "2026-03-13T23:00:00Z"},
            {"2026-03-11T13:00:00Z", "2026-03-12T02:00:00Z"},
            {"2026-03-12T03:00:00Z", "2026-03-12T09:00:00Z"},
            {"2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"}};

    private static final String RAW_MEASURES = AggregatesOfEvents.RAW_MEASURES;

    @Autowired
    UsageLedger ledger;

    @Autowired
    UsageAnalytics analytics;

    @Autowired
    UsageHistory history;

    @Autowired
    Rerating rerating;

    @Autowired
    JdbcTemplate jdbc;

    @Test
    void analyticsOverPartialAndWholeDaysEqualTheRawEventsAfterRedeliveryAndRerating() {
        String tenant = "t-" + UUID.randomUUID().toString().substring(0, 8);
        price(tenant, "daily-a", "2026-01-01T00:00:00Z", "1", "2");
        price(tenant, "daily-b", "2026-01-01T00:00:00Z", "4", "8");
        List<UsageRecorded> events = calls(tenant, 600, new Random(20261207));
        int recorded = 0;
        for (int i = 0; i < events.size(); i += 100) {
            recorded += ledger.record(events.subList(i, Math.min(events.size(), i + 100)));
        }
        assertThat(recorded).isEqualTo(events.size());
        assertDailyTablesEqualTheEvents(tenant);
        assertAnalyticsEqualTheEvents(tenant);

        // Redelivered, in other batches and mixed with new calls: only the new ones count.
        Map<String, List<Map<String, Object>>> before = dailyRows(tenant);
        List<UsageRecorded> again = new ArrayList<>(events.subList(50, 350));
        assertThat(ledger.record(again)).isZero();
        assertThat(dailyRows(tenant)).as("a redelivery changes no daily row").isEqualTo(before);
        List<UsageRecorded> more = calls(tenant, 40, new Random(7));
        again.addAll(more);
        assertThat(ledger.record(again)).isEqualTo(more.size());
        assertDailyTablesEqualTheEvents(tenant);

        // A price correction for a few hours in the middle of a day, and a price for the unpriced model.
        price(tenant, "daily-a", "2026-01-01T00:00:00Z", "3", "5");
        price(tenant, "daily-unpriced", "2026-01-01T00:00:00Z", "0.5", "0.5");
        Rerating.Result result = rerating.rerate(tenant, Instant.parse("2026-03-11T09:30:00Z"),
                Instant.parse("2026-03-11T15:00:00Z"));
        assertThat(result.events()).isPositive();
        assertThat(result.costAfter()).isNotEqualByComparingTo(result.costBefore());
        assertDailyTablesEqualTheEvents(tenant);
        assertAnalyticsEqualTheEvents(tenant);
    }

    /**
     * usage-service runs two ledger consumers per instance (keygate.usage.ledger.consumers) and usually two instances,
     * whose transactions update the same aggregate rows and, after a rebalance, may carry the same events. Four
     * threads record batches of one tenant's calls, each also re-sending a share of another's: nothing fails (no
     * deadlock), every call counts once, and every aggregate equals the raw events.
     */
    @Test
    void concurrentLedgerTransactionsCountEveryCallOnceWithoutDeadlocks() throws Exception {
        String tenant = "t-" + UUID.randomUUID().toString().substring(0, 8);
        price(tenant, "daily-a", "2026-01-01T00:00:00Z", "1", "2");
        int writers = 4;
        int each = 800;
        List<UsageRecorded> events = calls(tenant, writers * each, new Random(20261208));
        List<List<UsageRecorded>> shares = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            List<UsageRecorded> share = new ArrayList<>(events.subList(w * each, (w + 1) * each));
            // Redeliveries: a quarter of the next writer's calls, in the middle of this one's.
            int next = (w + 1) % writers * each;
            share.addAll(each / 2, events.subList(next + each / 4, next + each / 2));
            shares.add(share);
        }
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService consumers = Executors.newFixedThreadPool(writers);
        try {
            List<Future<Integer>> counted = new ArrayList<>();
            for (List<UsageRecorded> share : shares) {
                counted.add(consumers.submit(() -> {
                    start.await();
                    int fresh = 0;
                    for (int i = 0; i < share.size(); i += 100) {
                        fresh += ledger.record(share.subList(i, Math.min(share.size(), i + 100)));
                    }
                    return fresh;
                }));
            }
            start.countDown();
            int fresh = 0;
            for (Future<Integer> share : counted) {
                fresh += share.get(2, TimeUnit.MINUTES);
            }
            assertThat(fresh).as("calls counted as new by the writers together").isEqualTo(events.size());
        }
        finally {
            consumers.shutdownNow();
        }
        assertThat(jdbc.queryForObject("select count(*) from usage_event where tenant_id = ?", Long.class, tenant))
                .isEqualTo(events.size());
        assertDailyTablesEqualTheEvents(tenant);
        assertAnalyticsEqualTheEvents(tenant);
    }

    private void assertAnalyticsEqualTheEvents(String tenant) {
        List<Set<Dimension>> groupings = List.of(EnumSet.noneOf(Dimension.class),
                EnumSet.of(Dimension.PROVIDER, Dimension.MODEL), EnumSet.of(Dimension.TIER),
                EnumSet.of(Dimension.REGION), EnumSet.of(Dimension.PROVIDER, Dimension.MODEL, Dimension.TIER),
                EnumSet.of(Dimension.USER), EnumSet.of(Dimension.KEY), EnumSet.of(Dimension.USER, Dimension.MODEL),
                EnumSet.of(Dimension.KEY, Dimension.REGION),
                EnumSet.of(Dimension.PROVIDER, Dimension.MODEL, Dimension.REGION, Dimension.TIER));
        List<String[]> filters = List.of(new String[5], new String[] {"openai", null, null, null, null},
                new String[] {null, "daily-b", null, null, null}, new String[] {null, null, "alice", null, null},
                new String[] {null, null, null, "k2", null}, new String[] {null, null, null, null, "pro"},
                new String[] {null, null, "", null, null}, new String[] {null, null, null, null, ""});
        int compared = 0;
        for (String[] period : PERIODS) {
            Instant from = Instant.parse(period[0]);
            Instant to = Instant.parse(period[1]);
            for (String[] f : filters) {
                UsageFilter filter = new UsageFilter(tenant, from, to, f[0], f[1], f[2], f[3], f[4]);
                for (TimeBucket bucket : TimeBucket.values()) {
                    if (bucket == TimeBucket.HOUR && Duration.between(from, to).toDays() > 7) {
                        continue;
                    }
                    for (Set<Dimension> groupBy : groupings) {
                        assertThat(render(analytics.usage(filter, bucket, groupBy, UsageAnalytics.Order.GROUPS,
                                null), groupBy))
                                .as("%s %s by %s", List.of(period), bucket, groupBy)
                                .isEqualTo(rawUsage(filter, bucket, groupBy));
                        compared++;
                    }
                }
                for (Dimension top : List.of(Dimension.USER, Dimension.KEY)) {
                    if (f[2] != null || f[3] != null) {
                        continue;
                    }
                    List<String> ranked = render(analytics.usage(filter, TimeBucket.NONE, EnumSet.of(top),
                            UsageAnalytics.Order.COST, 3), EnumSet.of(top));
                    List<String> byCost = rawTop(filter, top);
                    assertThat(ranked).as("top 3 by cost of %s %s", List.of(period), top)
                            .isEqualTo(byCost.subList(0, Math.min(3, byCost.size())));
                }
                if (f[2] == null && f[3] == null && f[4] == null) {
                    assertThat(analytics.latency(filter)).as("latency %s", List.of(period))
                            .isEqualTo(rawLatency(filter));
                }
            }
            assertThat(history.totalsByModel(tenant, from, to).stream().map(ModelUsage::toString).toList())
                    .as("summary %s", List.of(period)).isEqualTo(rawTotalsByModel(tenant, from, to));
        }
        assertThat(compared).isGreaterThan(500);
    }

    /** One line per row: bucket, the grouped dimensions, every measure; costs without trailing zeros. */
    private static List<String> render(List<UsageRow> rows, Set<Dimension> groupBy) {
        return rows.stream().map(row -> {
            StringBuilder line = new StringBuilder(String.valueOf(row.bucketStart()));
            groupBy.forEach(dimension -> line.append(" ").append(dimension).append("=").append(row.value(dimension)));
            return line.append(" requests=").append(row.requests()).append(" in=").append(row.inputTokens())
                    .append(" out=").append(row.outputTokens()).append(" cr=").append(row.cacheReadTokens())
                    .append(" cw=").append(row.cacheWriteTokens()).append(" errors=").append(row.errors())
                    .append(" cost=").append(plain(row.costUsd())).append(" unpriced=")
                    .append(row.unpricedRequests()).toString();
        }).toList();
    }

    private List<String> rawUsage(UsageFilter filter, TimeBucket bucket, Set<Dimension> groupBy) {
        List<Object> arguments = new ArrayList<>();
        String bucketColumn = switch (bucket) {
            case HOUR -> "date_trunc('hour', occurred_at, 'UTC')";
            case DAY -> "date_trunc('day', occurred_at, 'UTC')";
            case NONE -> "null::timestamptz";
        };
        List<String> keys = new ArrayList<>(List.of("b"));
        StringBuilder sql = new StringBuilder("select " + bucketColumn + " as b");
        for (Dimension dimension : groupBy) {
            sql.append(", coalesce(").append(dimension.column).append(", '') as ").append(dimension.column);
            keys.add(dimension.column);
        }
        sql.append(", ").append(RAW_MEASURES)
                .append(" from usage_event").append(rawWhere(filter, arguments))
                .append(" group by ").append(String.join(", ", keys))
                .append(" order by ").append(String.join(", ", keys));
        return jdbc.query(sql.toString(), (row, n) -> {
            StringBuilder line = new StringBuilder(bucket == TimeBucket.NONE ? "null"
                    : row.getObject("b", java.time.OffsetDateTime.class).toInstant().toString());
            for (Dimension dimension : groupBy) {
                line.append(" ").append(dimension).append("=").append(row.getString(dimension.column));
            }
            return line.append(" requests=").append(row.getLong("requests")).append(" in=").append(row.getLong(3 + groupBy.size()))
                    .append(" out=").append(row.getLong(4 + groupBy.size())).append(" cr=")
                    .append(row.getLong(5 + groupBy.size())).append(" cw=").append(row.getLong(6 + groupBy.size()))
                    .append(" errors=").append(row.getLong(7 + groupBy.size())).append(" cost=")
                    .append(plain(row.getBigDecimal(8 + groupBy.size()))).append(" unpriced=")
                    .append(row.getLong(9 + groupBy.size())).toString();
        }, arguments.toArray());
    }

    /** Users or keys by cost, then tokens, then name, as the top-spenders report ranks them. */
    private List<String> rawTop(UsageFilter filter, Dimension top) {
        List<Object> arguments = new ArrayList<>();
        String where = rawWhere(filter, arguments);
        List<String> names = jdbc.queryForList("select coalesce(" + top.column + ", '') from usage_event" + where
                + " group by 1 order by coalesce(sum(cost_usd), 0) desc, sum(input_tokens + output_tokens) desc, 1",
                String.class, arguments.toArray());
        List<String> lines = new ArrayList<>();
        for (String name : names) {
            UsageFilter one = top == Dimension.USER
                    ? new UsageFilter(filter.tenantId(), filter.from(), filter.to(), filter.provider(), filter.model(),
                    name, null, filter.tier())
                    : new UsageFilter(filter.tenantId(), filter.from(), filter.to(), filter.provider(), filter.model(),
                    null, name, filter.tier());
            lines.addAll(rawUsage(one, TimeBucket.NONE, EnumSet.of(top)));
        }
        return lines;
    }

    private List<LatencyRow> rawLatency(UsageFilter filter) {
        List<Object> arguments = new ArrayList<>();
        Map<List<String>, Map<String, NavigableMap<Integer, Long>>> histograms = new TreeMap<>(
                (a, b) -> a.get(0).equals(b.get(0)) ? a.get(1).compareTo(b.get(1)) : a.get(0).compareTo(b.get(0)));
        jdbc.query("select provider, coalesce(model, '') as model, latency_ms, first_byte_ms from usage_event"
                + rawWhere(filter, arguments), row -> {
            Map<String, NavigableMap<Integer, Long>> metrics = histograms.computeIfAbsent(
                    List.of(row.getString("provider"), row.getString("model")), k -> new TreeMap<>());
            metrics.computeIfAbsent("latency", k -> new TreeMap<>())
                    .merge(LatencyHistogram.bucketOf(row.getLong("latency_ms")), 1L, Long::sum);
            Long firstByte = row.getObject("first_byte_ms", Long.class);
            if (firstByte != null) {
                metrics.computeIfAbsent("first_byte", k -> new TreeMap<>())
                        .merge(LatencyHistogram.bucketOf(firstByte), 1L, Long::sum);
            }
        }, arguments.toArray());
        List<LatencyRow> rows = new ArrayList<>();
        histograms.forEach((group, metrics) -> {
            NavigableMap<Integer, Long> latency = metrics.getOrDefault("latency", new TreeMap<>());
            NavigableMap<Integer, Long> firstByte = metrics.getOrDefault("first_byte", new TreeMap<>());
            rows.add(new LatencyRow(group.get(0), group.get(1),
                    latency.values().stream().mapToLong(Long::longValue).sum(),
                    LatencyHistogram.percentile(latency, 0.50), LatencyHistogram.percentile(latency, 0.95),
                    LatencyHistogram.percentile(latency, 0.99),
                    firstByte.values().stream().mapToLong(Long::longValue).sum(),
                    LatencyHistogram.percentile(firstByte, 0.50), LatencyHistogram.percentile(firstByte, 0.95),
                    LatencyHistogram.percentile(firstByte, 0.99)));
        });
        return rows;
    }

    private List<String> rawTotalsByModel(String tenant, Instant from, Instant to) {
        return jdbc.query("select provider, model, " + RAW_MEASURES + " from usage_event"
                        + " where tenant_id = ? and occurred_at >= ? and occurred_at < ?"
                        + " group by provider, model order by provider, coalesce(model, '')",
                (row, n) -> new ModelUsage(row.getString(1), row.getString(2), row.getLong(3), row.getLong(4),
                        row.getLong(5), row.getLong(6), row.getLong(7), row.getLong(8), row.getBigDecimal(9),
                        row.getLong(10)).toString(),
                tenant, UsageLedger.utc(from), UsageLedger.utc(to));
    }

    private static String rawWhere(UsageFilter filter, List<Object> arguments) {
        StringBuilder where = new StringBuilder(" where tenant_id = ? and occurred_at >= ? and occurred_at < ?");
        arguments.add(filter.tenantId());
        arguments.add(UsageLedger.utc(filter.from()));
        arguments.add(UsageLedger.utc(filter.to()));
        String[][] conditions = {{"provider", filter.provider()}, {"model", filter.model()},
                {"user_id", filter.userId()}, {"proxy_key_id", filter.proxyKeyId()}, {"tier", filter.tier()}};
        for (String[] condition : conditions) {
            if (condition[1] != null) {
                where.append(" and coalesce(").append(condition[0]).append(", '') = ?");
                arguments.add(condition[1]);
            }
        }
        return where.toString();
    }

    /** Every daily table's rows of the tenant (and its per-model hours) equal the raw events grouped the same way. */
    private void assertDailyTablesEqualTheEvents(String tenant) {
        AggregatesOfEvents.assertEqualTheEvents(jdbc, tenant, 0, 0);
    }

    private Map<String, List<Map<String, Object>>> dailyRows(String tenant) {
        Map<String, List<Map<String, Object>>> rows = new TreeMap<>();
        for (String table : List.of("usage_rollup_daily", "usage_model_hourly", "usage_user_daily",
                "usage_key_daily", "usage_latency_daily")) {
            // A histogram's counts as text: JDBC arrays do not compare by value.
            String columns = table.contains("latency") ? "tenant_id, day, provider, model, metric, counts::text" : "*";
            rows.put(table, jdbc.queryForList("select " + columns + " from " + table + " where tenant_id = ? order by "
                    + (table.contains("user") || table.contains("key") ? "1, 2, 3" : "1, 2, 3, 4, 5, 6"), tenant));
        }
        return rows;
    }

    /** Calls spread over four days (2026-03-10 to 13) and every hour, with every dimension sometimes missing. */
    private static List<UsageRecorded> calls(String tenant, int count, Random random) {
        List<UsageRecorded> calls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Instant at = DAY_ONE.plusSeconds(random.nextInt(4 * 24 * 3600));
            String model = MODELS[random.nextInt(MODELS.length)];
            String key = KEYS[random.nextInt(KEYS.length)];
            boolean failed = random.nextInt(10) == 0;
            long input = failed ? 0 : random.nextInt(5_000_000);
            long output = failed ? 0 : random.nextInt(500_000);
            long cacheRead = input == 0 ? 0 : random.nextInt((int) Math.min(input, 100_000) + 1);
            long cacheWrite = random.nextBoolean() ? 0 : random.nextInt(1_000);
            Long firstByte = random.nextBoolean() ? null : (long) random.nextInt(3_000);
            calls.add(new UsageRecorded(UUID.randomUUID(), UsageRecorded.TYPE, UsageRecorded.VERSION, at,
                    REGIONS[random.nextInt(REGIONS.length)], tenant, USERS[random.nextInt(USERS.length)],
                    key == null ? "user_token" : "proxy_key", key, random.nextInt(3) == 0 ? "anthropic" : "openai",
                    model, "chat.completions", firstByte != null, failed ? 500 : 200,
                    new TokenUsage(input, output, cacheRead, cacheWrite, 0), random.nextInt(30_000), firstByte,
                    null, null, TIERS[random.nextInt(TIERS.length)]));
        }
        return calls;
    }

    private void price(String tenant, String model, String effectiveFrom, String input, String output) {
        for (String provider : List.of("openai", "anthropic")) {
            jdbc.update("""
                    insert into model_price (id, tenant_id, provider, model, effective_from, input_per_million,
                        output_per_million)
                    values (?, ?, ?, ?, ?::timestamptz, ?::numeric, ?::numeric)""", UUID.randomUUID(), tenant,
                    provider, model, effectiveFrom, input, output);
        }
    }

    private static String plain(BigDecimal cost) {
        return cost == null ? "0" : cost.signum() == 0 ? "0" : cost.stripTrailingZeros().toPlainString();
    }
}
