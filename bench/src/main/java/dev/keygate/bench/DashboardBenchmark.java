package dev.keygate.bench;

import java.math.BigDecimal;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import dev.keygate.local.KeygateService;
import dev.keygate.local.ServiceEnvironment;
import dev.keygate.local.ServiceProcess;
import dev.keygate.local.StackPorts;
import dev.keygate.local.StackWiring;
import dev.keygate.testkit.LocalPostgres;
import dev.keygate.testkit.ServiceDatabase;
import dev.keygate.testkit.TestKafka;
import dev.keygate.testkit.TestKeycloak;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The usage dashboard's queries over a large ledger, on loopback: PostgreSQL 17 with usage-service's schema (its own
 * Flyway migrations, run by starting its runnable jar), {@code events} synthetic ledger rows bulk-loaded with SQL
 * (90 days, four tenants, ~1,000 users, ~3,000 proxy keys, 12 models of 4 providers, 2 regions, ~2 % errors) and
 * the aggregates built from them with the SQL the ledger applies per event. The analytics API's answers are checked
 * against the raw rows, then every request the dashboard page makes (and the CSV export, error rates and the
 * per-model summary) is timed over HTTP with a real Keycloak analyst token, over the periods the page offers.
 * Arguments: {@code [events=10000000] [runs=20]}. Writes {@code bench/results/dashboard.md}.
 */
public final class DashboardBenchmark {

    static final double TARGET_MS = 300;
    private static final int WARM_UP_ROUNDS = 5;
    private static final int CHUNK = 1_000_000;
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

    /** Tenants and their analysts in deploy/keycloak/keygate-realm.json (gwen is globex's platform admin). */
    private static final Map<String, String> ANALYSTS = Map.of("acme", "ana", "globex", "gwen");

    private DashboardBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        long events = args.length > 0 ? Long.parseLong(args[0]) : 10_000_000L;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        Path root = Path.of(System.getProperty("keygate.root", ".")).toAbsolutePath().normalize();
        Path work = Files.createDirectories(root.resolve("bench/target/dashboard"));

        CompletableFuture<TestKeycloak> keycloakStart = TestKeycloak.startAsync();
        LocalPostgres postgres = LocalPostgres.shared();
        ServiceDatabase usage = postgres.database("usage", false);
        String kafka = TestKafka.bootstrapServers();
        TestKeycloak keycloak = keycloakStart.join();
        int port = freePort();
        StackPorts ports = new StackPorts(postgres.port(), 1, 2, 3, 4, 5, 6, 7, 8, port, 9);
        StackWiring wiring = new StackWiring(ports, null, null, usage, kafka, keycloak.issuerUri(), "unused",
                work.resolve("unused"), Map.of(), URI.create("http://127.0.0.1:5"), URI.create("http://127.0.0.1:5"));

        // The service creates the schema with its Flyway migrations; the load happens with it running and idle.
        ServiceProcess service = ServiceProcess.startJar("usage-service",
                KeygateService.USAGE.executableJar(root, "0.1.0-SNAPSHOT"), ServiceProcess.SERVICE_JVM_OPTIONS,
                ServiceEnvironment.usage(wiring), work, work.resolve("usage-service.log"));
        try (Connection db = DriverManager.getConnection(usage.jdbcUrl(), usage.username(), usage.password())) {
            service.awaitHealthy(KeygateService.USAGE.healthUrl(ports), Duration.ofSeconds(180));
            LedgerLoad load = LedgerLoad.run(db, events, CHUNK);
            Api api = new Api(URI.create("http://127.0.0.1:" + port), keycloak);
            Instant now = Instant.now();
            List<String> checks = new ArrayList<>();
            for (Map.Entry<String, String> tenant : ANALYSTS.entrySet()) {
                checks.addAll(AnalyticsCheck.run(db, api, tenant.getValue(), tenant.getKey(), now));
            }
            List<Timing> timings = time(api, "ana", now, runs);
            String report = report(events, runs, load, checks, timings, db, service.rssKiB());
            System.out.println(report);
            Files.writeString(Files.createDirectories(root.resolve("bench/results")).resolve("dashboard.md"), report);
        }
        finally {
            service.stop();
            postgres.close();
        }
        // The in-process Kafka broker and Keycloak's watcher keep non-daemon threads.
        System.exit(0);
    }

    /** Every request of the dashboard over the periods it offers, warmed up, then {@code runs} timed rounds. */
    private static List<Timing> time(Api api, String analyst, Instant now, int runs) throws Exception {
        List<Query> queries = new ArrayList<>();
        LocalDate today = now.atOffset(ZoneOffset.UTC).toLocalDate();
        for (Range range : Range.values()) {
            String from = today.minusDays(range.days - 1).atStartOfDay().toInstant(ZoneOffset.UTC).toString();
            String to = today.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC).toString();
            String period = "from=" + from + "&to=" + to;
            String unit = range.days <= 7 ? "hour" : "day";
            queries.add(new Query(range, "usage, totals", "/api/v1/analytics/usage?bucket=none&group_by=none&" + period, false));
            queries.add(new Query(range, "usage over time (" + unit + ")",
                    "/api/v1/analytics/usage?bucket=" + unit + "&group_by=none&" + period, false));
            queries.add(new Query(range, "usage by provider, model",
                    "/api/v1/analytics/usage?bucket=none&group_by=provider,model&" + period, false));
            queries.add(new Query(range, "top 20 users", "/api/v1/analytics/top-spenders?by=user&limit=20&" + period, false));
            queries.add(new Query(range, "top 20 keys", "/api/v1/analytics/top-spenders?by=key&limit=20&" + period, false));
            queries.add(new Query(range, "latency, TTFB percentiles", "/api/v1/analytics/latency?" + period, false));
            queries.add(new Query(range, "error rates by provider, model", "/api/v1/analytics/errors?" + period, false));
            queries.add(new Query(range, "usage by user (day)",
                    "/api/v1/analytics/usage?bucket=day&group_by=user&" + period, false));
            queries.add(new Query(range, "CSV export by day, provider, model",
                    "/api/v1/analytics/usage?bucket=day&group_by=provider,model&" + period, true));
            queries.add(new Query(range, "summary by model (usage_hourly)", "/api/v1/usage/summary?" + period, false));
        }
        queries.add(new Query(null, "budgets overview", "/api/v1/analytics/budgets", false));
        for (int round = 0; round < WARM_UP_ROUNDS; round++) {
            for (Query query : queries) {
                api.get(analyst, query.path, query.csv);
            }
        }
        Map<Query, double[]> samples = new LinkedHashMap<>();
        queries.forEach(query -> samples.put(query, new double[runs]));
        // Round-robin, so that a slow moment of the machine spreads over all queries instead of hitting one.
        for (int run = 0; run < runs; run++) {
            for (Query query : queries) {
                samples.get(query)[run] = api.timedGet(analyst, query.path, query.csv);
            }
        }
        List<Timing> timings = new ArrayList<>();
        samples.forEach((query, ms) -> {
            Arrays.sort(ms);
            timings.add(new Timing(query, percentile(ms, 0.50), percentile(ms, 0.95), ms[ms.length - 1]));
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
    }

    record Query(Range range, String name, String path, boolean csv) {
    }

    record Timing(Query query, double p50, double p95, double max) {
    }

    /** The analytics API as the dashboard calls it: an analyst's bearer token, JSON or CSV. */
    static final class Api {

        private static final Duration TOKEN_REUSE = Duration.ofSeconds(120);

        private final URI base;
        private final TestKeycloak keycloak;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private final Map<String, String> tokens = new LinkedHashMap<>();
        private final Map<String, Instant> tokenTimes = new LinkedHashMap<>();

        Api(URI base, TestKeycloak keycloak) {
            this.base = base;
            this.keycloak = keycloak;
        }

        JsonNode json(String analyst, String path) throws Exception {
            return JSON.readTree(get(analyst, path, false));
        }

        String get(String analyst, String path, boolean csv) throws Exception {
            HttpResponse<String> response = http.send(request(analyst, path, csv), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("GET " + path + " answered " + response.statusCode() + ": "
                        + response.body());
            }
            return response.body();
        }

        /** Milliseconds from sending the request to the last byte of the answer. */
        double timedGet(String analyst, String path, boolean csv) throws Exception {
            HttpRequest request = request(analyst, path, csv);
            long start = System.nanoTime();
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            double ms = (System.nanoTime() - start) / 1e6;
            if (response.statusCode() != 200) {
                throw new IllegalStateException("GET " + path + " answered " + response.statusCode());
            }
            return ms;
        }

        private HttpRequest request(String analyst, String path, boolean csv) {
            // Keycloak's access tokens live 5 minutes; a fresh one is fetched outside the timed part.
            if (!tokens.containsKey(analyst) || tokenTimes.get(analyst).plus(TOKEN_REUSE).isBefore(Instant.now())) {
                tokens.put(analyst, keycloak.passwordGrant(analyst));
                tokenTimes.put(analyst, Instant.now());
            }
            return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + tokens.get(analyst))
                    .header("Accept", csv ? "text/csv" : "application/json").GET().build();
        }

        static String encode(String value) {
            return URLEncoder.encode(value, StandardCharsets.UTF_8);
        }
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String report(long events, int runs, LedgerLoad load, List<String> checks, List<Timing> timings,
                                 Connection db, long rssKiB) throws SQLException {
        List<String> lines = new ArrayList<>();
        lines.add("# usage-service dashboard queries");
        lines.add("");
        lines.add(Instant.now() + " · " + Runtime.getRuntime().availableProcessors() + " cores · Java "
                + System.getProperty("java.version") + " · load average " + loadAverage());
        lines.add("");
        lines.add("Command: `bench/dashboard.sh " + events + " " + runs + "`. PostgreSQL 17 (embedded, default "
                + "settings) and usage-service from its runnable jar with its production settings, on loopback; "
                + "analyst tokens from a real Keycloak 26. " + WARM_UP_ROUNDS + " warm-up rounds, then " + runs
                + " timed rounds of every request, round-robin; time from sending the request to the last byte.");
        lines.add("");
        lines.add(String.format("Ledger: %,d events over 90 days (%s); loaded in %.1f s, aggregates built in %.1f s.",
                load.events(), load.spread(), load.eventSeconds(), load.aggregateSeconds()));
        lines.add("");
        lines.add("| table | rows | size |");
        lines.add("|---|---|---|");
        for (String table : List.of("usage_event", "usage_hourly", "usage_rollup_hourly", "usage_latency_hourly",
                "budget_spend")) {
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
        lines.add("Tenant acme (analyst ana, about half the events); target " + (int) TARGET_MS + " ms per request.");
        lines.add("");
        lines.add("| period | request | p50 ms | p95 ms | max ms | |");
        lines.add("|---|---|---|---|---|---|");
        for (Timing timing : timings) {
            Query query = timing.query();
            lines.add(String.format("| %s | %s | %.1f | %.1f | %.1f | %s |",
                    query.range() == null ? "current day and month" : query.range().label, query.name(), timing.p50(),
                    timing.p95(), timing.max(), timing.p95() < TARGET_MS ? "ok" : "**over target**"));
        }
        long over = timings.stream().filter(timing -> timing.p95() >= TARGET_MS).count();
        lines.add("");
        lines.add(String.format("%d of %d requests have p95 over %d ms. usage-service RSS at the end: %d MiB.", over,
                timings.size(), (int) TARGET_MS, rssKiB / 1024));
        return String.join("\n", lines) + "\n";
    }

    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " / " + parts[1] + " / " + parts[2];
        }
        catch (java.io.IOException ex) {
            return "unknown";
        }
    }

    static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    static BigDecimal decimal(JsonNode node) {
        return node == null || node.isNull() ? BigDecimal.ZERO : node.decimalValue();
    }

    static String joined(List<?> values) {
        return values.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }

    static long count(Connection db, String sql, Object... arguments) throws SQLException {
        try (PreparedStatement statement = db.prepareStatement(sql)) {
            for (int i = 0; i < arguments.length; i++) {
                statement.setObject(i + 1, arguments[i]);
            }
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        }
    }
}
