package dev.keygate.bench;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.keygate.local.ServiceProcess;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The usage dashboard's queries over a large ledger, on loopback: PostgreSQL 17 with usage-service's schema (its own
 * Flyway migrations, run by starting its runnable jar), {@code events} synthetic ledger rows bulk-loaded with SQL
 * (90 days, four tenants, ~1,000 users, ~3,000 proxy keys, 12 models of 4 providers, 2 regions, ~2 % errors) and
 * the aggregates built from them with the SQL the ledger applies per event. The analytics API's answers are checked
 * against the raw rows, then every request the dashboard page makes (and the CSV export, error rates and the
 * per-model summary) is timed over HTTP as the tenant's analyst (see {@link AnalystTokens}), over the periods the
 * page offers.
 * Arguments: {@code [events=10000000] [runs=20]}. Writes {@code bench/results/dashboard.md}.
 */
public final class DashboardBenchmark {

    static final double TARGET_MS = 300;
    private static final int WARM_UP_ROUNDS = 5;
    /** Timed runs of a request stop at {@code runs}, or once they took this long and there are at least 3. */
    private static final double TIME_BUDGET_MS = 30_000;
    private static final int MIN_RUNS = 3;
    private static final int CHUNK = 1_000_000;
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

    /** The tenant with about half the events, whose analyst the requests are timed for. */
    private static final String TIMED_TENANT = "acme";
    private static final List<String> CHECKED_TENANTS = List.of("acme", "umbrella");

    private DashboardBenchmark() {
    }

    public static void main(String[] args) {
        try {
            run(args.length > 0 ? Long.parseLong(args[0]) : 10_000_000L, args.length > 1 ? Integer.parseInt(args[1]) : 20);
        }
        catch (Exception | AssertionError ex) {
            ex.printStackTrace();
            System.exit(1);
        }
        // The in-process Kafka broker keeps non-daemon threads.
        System.exit(0);
    }

    private static void run(long events, int runs) throws Exception {
        Path root = Path.of(System.getProperty("keygate.root", ".")).toAbsolutePath().normalize();
        Path work = Files.createDirectories(root.resolve("bench/target/dashboard"));

        LoopbackUsageService stack = new LoopbackUsageService();
        try (AnalystTokens tokens = new AnalystTokens()) {
            Map<String, String> environment = new LinkedHashMap<>(stack.environment(tokens.issuer(), work));
            // The service creates the schema with its Flyway migrations; the load happens with it running and idle.
            ServiceProcess service = stack.start(root, work, environment);
            try (Connection db = stack.connect()) {
                stack.awaitHealthy(service, Duration.ofSeconds(300));
                LedgerLoad load = LedgerLoad.run(db, events, CHUNK,
                        root.resolve("usage-service/src/main/resources/db/migration"));
                Api api = new Api(stack.baseUrl(), tokens);
                Instant now = Instant.now();
                List<String> checks = new ArrayList<>();
                for (String tenant : CHECKED_TENANTS) {
                    checks.addAll(AnalyticsCheck.run(db, api, tenant, now));
                }
                List<Timing> timings = time(api, TIMED_TENANT, now, runs);
                String report = report(events, runs, load, checks, timings, db, service.rssKiB(), now);
                BenchHost.publish(root, "dashboard.md", report);
            }
            finally {
                service.stop();
            }
        }
        finally {
            stack.postgres.close();
        }
    }

    /** Every request of the dashboard over the periods it offers, warmed up, then {@code runs} timed rounds. */
    private static List<Timing> time(Api api, String tenant, Instant now, int runs) throws Exception {
        List<Query> queries = new ArrayList<>();
        for (Range range : Range.values()) {
            String period = "from=" + range.from(now) + "&to=" + range.to(now);
            String unit = range.days <= 7 ? "hour" : "day";
            queries.add(new Query(range, "usage, totals", "/api/v1/analytics/usage?bucket=none&group_by=none&" + period,
                    false));
            queries.add(new Query(range, "usage over time (" + unit + ")",
                    "/api/v1/analytics/usage?bucket=" + unit + "&group_by=none&" + period, false));
            queries.add(new Query(range, "usage by provider, model",
                    "/api/v1/analytics/usage?bucket=none&group_by=provider,model&" + period, false));
            queries.add(new Query(range, "top 20 users", "/api/v1/analytics/top-spenders?by=user&limit=20&" + period,
                    false));
            queries.add(new Query(range, "top 20 keys", "/api/v1/analytics/top-spenders?by=key&limit=20&" + period,
                    false));
            queries.add(new Query(range, "latency, TTFB percentiles", "/api/v1/analytics/latency?" + period, false));
            queries.add(new Query(range, "error rates by provider, model", "/api/v1/analytics/errors?" + period, false));
            queries.add(new Query(range, "usage by user (day)",
                    "/api/v1/analytics/usage?bucket=day&group_by=user&" + period, false));
            queries.add(new Query(range, "CSV export by day, provider, model",
                    "/api/v1/analytics/usage?bucket=day&group_by=provider,model&" + period, true));
            queries.add(new Query(range, "summary by model", "/api/v1/usage/summary?" + period, false));
        }
        queries.add(new Query(null, "budgets overview", "/api/v1/analytics/budgets", false));
        // A request slower than a second needs no JIT warm-up and gets one round only, which bounds the run at 10M.
        Map<Query, Double> lastWarmUp = new LinkedHashMap<>();
        for (int round = 0; round < WARM_UP_ROUNDS; round++) {
            for (Query query : queries) {
                if (lastWarmUp.getOrDefault(query, 0.0) < 1_000) {
                    lastWarmUp.put(query, api.timedGet(tenant, query.path, query.csv));
                }
            }
        }
        Map<Query, List<Double>> samples = new LinkedHashMap<>();
        queries.forEach(query -> samples.put(query, new ArrayList<>()));
        // Round-robin, so that a slow moment of the machine spreads over all queries instead of hitting one.
        for (int run = 0; run < runs; run++) {
            for (Query query : queries) {
                List<Double> ms = samples.get(query);
                double spent = ms.stream().mapToDouble(Double::doubleValue).sum();
                if (ms.size() < MIN_RUNS || spent < TIME_BUDGET_MS) {
                    ms.add(api.timedGet(tenant, query.path, query.csv));
                }
            }
        }
        List<Timing> timings = new ArrayList<>();
        samples.forEach((query, ms) -> {
            double[] sorted = ms.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            timings.add(new Timing(query, sorted.length, percentile(sorted, 0.50), percentile(sorted, 0.95),
                    sorted[sorted.length - 1]));
        });
        return timings;
    }

    private static double percentile(double[] sorted, double p) {
        return sorted[Math.max(0, (int) Math.ceil(p * sorted.length) - 1)];
    }

    enum Range {
        TODAY(1, "today"), WEEK(7, "7 days"), MONTH(30, "30 days"), QUARTER(90, "90 days");

        final int days;
        final String label;

        Range(int days, String label) {
            this.days = days;
            this.label = label;
        }

        /** The dashboard's period: whole UTC days, the last of them today. */
        Instant from(Instant now) {
            return now.atOffset(ZoneOffset.UTC).toLocalDate().minusDays(days - 1).atStartOfDay()
                    .toInstant(ZoneOffset.UTC);
        }

        Instant to(Instant now) {
            return now.atOffset(ZoneOffset.UTC).toLocalDate().plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
        }
    }

    record Query(Range range, String name, String path, boolean csv) {
    }

    record Timing(Query query, int runs, double p50, double p95, double max) {
    }

    /** The analytics API as the dashboard calls it: a tenant analyst's bearer token, JSON or CSV. */
    static final class Api {

        private final URI base;
        private final AnalystTokens tokens;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private final Map<String, String> tokenOf = new LinkedHashMap<>();
        private final Map<String, Instant> issuedAt = new LinkedHashMap<>();

        Api(URI base, AnalystTokens tokens) {
            this.base = base;
            this.tokens = tokens;
        }

        JsonNode json(String tenant, String path) throws Exception {
            return JSON.readTree(get(tenant, path, false));
        }

        String get(String tenant, String path, boolean csv) throws Exception {
            HttpResponse<String> response = http.send(request(tenant, path, csv), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("GET " + path + " answered " + response.statusCode() + ": "
                        + response.body());
            }
            return response.body();
        }

        /** Milliseconds from sending the request to the last byte of the answer. */
        double timedGet(String tenant, String path, boolean csv) throws Exception {
            HttpRequest request = request(tenant, path, csv);
            long start = System.nanoTime();
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            double ms = (System.nanoTime() - start) / 1e6;
            if (response.statusCode() != 200) {
                throw new IllegalStateException("GET " + path + " answered " + response.statusCode());
            }
            return ms;
        }

        private HttpRequest request(String tenant, String path, boolean csv) {
            // Tokens live 5 minutes, as Keycloak's; a fresh one is made outside the timed part.
            if (!tokenOf.containsKey(tenant) || issuedAt.get(tenant).plusSeconds(120).isBefore(Instant.now())) {
                tokenOf.put(tenant, tokens.token("analyst-of-" + tenant, tenant, "analyst"));
                issuedAt.put(tenant, Instant.now());
            }
            return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(300))
                    .header("Authorization", "Bearer " + tokenOf.get(tenant))
                    .header("Accept", csv ? "text/csv" : "application/json").GET().build();
        }
    }

    private static long rows(Connection db, String table, String time, OffsetDateTime from) throws SQLException {
        try (PreparedStatement count = db.prepareStatement("select count(*) from " + table
                + " where tenant_id = ? and " + time + " >= ?")) {
            count.setString(1, TIMED_TENANT);
            count.setObject(2, from);
            try (ResultSet row = count.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        }
    }

    private static String report(long events, int runs, LedgerLoad load, List<String> checks, List<Timing> timings,
                                 Connection db, long rssKiB, Instant now) throws SQLException {
        List<String> lines = new ArrayList<>();
        lines.add("# usage-service dashboard queries");
        lines.add("");
        lines.add(Instant.now() + " · " + Runtime.getRuntime().availableProcessors() + " cores · Java "
                + System.getProperty("java.version") + " · load average " + BenchHost.loadAverage());
        lines.add("");
        lines.add("Command: `bench/dashboard.sh " + events + " " + runs + "`. PostgreSQL 17 (embedded, default "
                + "settings) and usage-service from its runnable jar with its production settings, on loopback; "
                + "RS256 analyst tokens shaped as Keycloak's, verified by the service against a JWK set the "
                + "benchmark serves at the realm's `/protocol/openid-connect/certs`. " + WARM_UP_ROUNDS + " warm-up rounds, then " + runs
                + " timed rounds of every request, round-robin (fewer for a request whose runs took "
                + (int) (TIME_BUDGET_MS / 1000) + " s, at least " + MIN_RUNS + "); time from sending the request to "
                + "the last byte.");
        lines.add("");
        lines.add(String.format("Ledger: %,d events over 90 days (%s); loaded in %.1f s, aggregates built in %.1f s.",
                load.events(), load.spread(), load.eventSeconds(), load.aggregateSeconds()));
        lines.add("");
        lines.add("| table | rows | size |");
        lines.add("|---|---|---|");
        for (String table : List.of("usage_event", "usage_model_hourly", "usage_rollup_hourly", "usage_latency_hourly",
                "usage_rollup_daily", "usage_user_daily", "usage_key_daily", "usage_latency_daily", "budget_spend")) {
            try (Statement statement = db.createStatement(); ResultSet row = statement.executeQuery(
                    "select count(*), pg_size_pretty(pg_total_relation_size('" + table + "')) from " + table)) {
                row.next();
                lines.add(String.format("| %s | %,d | %s |", table, row.getLong(1), row.getString(2)));
            }
        }
        lines.add("");
        lines.add("Checked against `usage_event` before timing (the run fails on any mismatch):");
        lines.add("");
        checks.forEach(check -> lines.add("- " + check));
        lines.add("");
        lines.add("Tenant " + TIMED_TENANT + " (about half the events), as its analyst; target " + (int) TARGET_MS
                + " ms per request.");
        lines.add("");
        lines.add("| period | request | runs | p50 ms | p95 ms | max ms | |");
        lines.add("|---|---|---|---|---|---|---|");
        for (Timing timing : timings) {
            Query query = timing.query();
            lines.add(String.format("| %s | %s | %d | %.1f | %.1f | %.1f | %s |",
                    query.range() == null ? "current day and month" : query.range().label, query.name(), timing.runs(),
                    timing.p50(),
                    timing.p95(), timing.max(), timing.p95() < TARGET_MS ? "ok" : "**over target**"));
        }
        lines.add("");
        lines.add("Aggregate rows a request of " + TIMED_TENANT + " reads per period (the analytics API never reads "
                + "`usage_event`):");
        lines.add("");
        lines.add("Whole UTC days (every period the page offers) are read from the daily tables; the hourly ones "
                + "only serve partial days, hourly buckets and filters no daily table holds.");
        lines.add("");
        lines.add("| period | usage_rollup_daily | usage_user_daily | usage_key_daily | usage_latency_daily "
                + "| usage_model_hourly | usage_rollup_hourly | usage_latency_hourly |");
        lines.add("|---|---|---|---|---|---|---|---|");
        for (Range range : Range.values()) {
            OffsetDateTime from = utc(range.from(now));
            lines.add(String.format("| %s | %,d | %,d | %,d | %,d | %,d | %,d | %,d |", range.label,
                    rows(db, "usage_rollup_daily", "day", from), rows(db, "usage_user_daily", "day", from),
                    rows(db, "usage_key_daily", "day", from), rows(db, "usage_latency_daily", "day", from),
                    rows(db, "usage_model_hourly", "hour", from), rows(db, "usage_rollup_hourly", "hour", from),
                    rows(db, "usage_latency_hourly", "hour", from)));
        }
        lines.add("");
        lines.add("Plan of what was the slowest kind of request, usage by user per day over 90 days, as "
                + "`UsageAnalytics` builds it (whole days of `usage_user_daily` grouped by its own key: its rows in "
                + "key order, not summed again):");
        lines.add("");
        lines.add("```");
        try (PreparedStatement explain = db.prepareStatement("""
                explain (analyze, buffers) select hour as bucket_start, user_id, requests, input_tokens,
                    output_tokens, cache_read_tokens, cache_write_tokens, errors, cost_usd, unpriced_requests
                from (select day as hour, user_id, requests, input_tokens, output_tokens, cache_read_tokens,
                          cache_write_tokens, errors, cost_usd, unpriced_requests
                      from usage_user_daily where tenant_id = ? and day >= ? and day < ?) u
                order by bucket_start, user_id""")) {
            explain.setString(1, TIMED_TENANT);
            explain.setObject(2, utc(Range.QUARTER.from(now)));
            explain.setObject(3, utc(Range.QUARTER.to(now)));
            try (ResultSet plan = explain.executeQuery()) {
                while (plan.next()) {
                    lines.add(plan.getString(1));
                }
            }
        }
        lines.add("```");
        long over = timings.stream().filter(timing -> timing.p95() >= TARGET_MS).count();
        lines.add("");
        lines.add(String.format("%d of %d requests have p95 over %d ms. usage-service RSS at the end: %d MiB.", over,
                timings.size(), (int) TARGET_MS, rssKiB / 1024));
        return String.join("\n", lines) + "\n";
    }

    static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    static BigDecimal decimal(JsonNode node) {
        return node == null || node.isNull() ? BigDecimal.ZERO : node.decimalValue();
    }

}
