package dev.keygate.bench;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.usage.v1.TokenUsage;
import dev.keygate.contracts.usage.v1.UsageRecorded;
import dev.keygate.local.ServiceProcess;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.json.JsonMapper;

/**
 * usage-service's ledger ingest, on loopback with a real Kafka broker and PostgreSQL 17 (durable commits), in three
 * phases:
 * <ol>
 * <li>cold drain: {@code events} usage events are put on the topic first, then usage-service starts and drains the
 * backlog (as after an outage);</li>
 * <li>warm drain: as many again are put on the topic while it runs, its code compiled (as in production); the rate is
 * the events over the time between the first and the last ledger transaction that stored them, and the rows each
 * table gained or changed meanwhile are reported;</li>
 * <li>freshness: events are produced at {@code rate} per second for {@code seconds}, each stamped when it is sent;
 * the delay to its ledger row ({@code received_at}, set in the same transaction that makes it visible to the
 * analytics API) gives p50/p99/max.</li>
 * </ol>
 * Each tenant's calls come from 200 users, four in five through one of 500 proxy keys that each belong to one user;
 * the warm drain's calls are priced with the catalog's prices (admin-service's models.yaml).
 * Arguments: {@code [events=200000] [rate=1000] [seconds=30]}. Writes {@code bench/results/usage-ingest.md}.
 */
public final class UsageIngestBenchmark {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final List<String> MODELS = List.of("gpt-4o-mini", "gpt-4o", "claude-3-5-haiku-latest",
            "claude-sonnet-4-5", "gemini-2.0-flash");

    private UsageIngestBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        Path root = Path.of(System.getProperty("keygate.root", ".")).toAbsolutePath().normalize();
        Path work = Files.createDirectories(root.resolve("bench/target/usage-ingest"));

        LoopbackUsageService stack = new LoopbackUsageService();
        String kafka = stack.kafka;

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka))) {
            // As usage-service declares it; created here because the backlog goes on before the service starts.
            admin.createTopics(List.of(new NewTopic(Topics.USAGE_RECORDED, 6, (short) 1))).all().get();
        }
        try (KafkaProducer<String, String> producer = producer(kafka)) {
            double produceSeconds = produce(producer, "cold-", events);
            System.out.printf("%d events on the topic in %.1f s; starting usage-service%n", events, produceSeconds);

            ServiceProcess service = stack.start(root, work, stack.environment("http://127.0.0.1:3/realms/keygate", work));
            try (Connection db = stack.connect()) {
                stack.awaitHealthy(service, Duration.ofSeconds(180));
                Drain cold = drain(db, "cold-%", events);
                int prices = priceCatalog(db, root);
                // An idle backend reports its row counts within 10 s (PostgreSQL's PGSTAT_IDLE_INTERVAL).
                Thread.sleep(11_000);
                Map<String, long[]> rowsBefore = tableWrites(db);
                // The same number again, put on the topic while usage-service runs with its code compiled: the rate
                // of a service that has been up for a while, as in production. The producer shares the machine.
                double warmProduceSeconds = produce(producer, "tenant-", events);
                Drain warm = drain(db, "tenant-%", events);
                Thread.sleep(11_000);
                Map<String, long[]> rowsWritten = written(rowsBefore, tableWrites(db));

                // Freshness at a steady rate, after the backlog.
                long intervalNanos = 1_000_000_000L / rate;
                long next = System.nanoTime();
                int sent = 0;
                for (long end = next + seconds * 1_000_000_000L; next < end; next += intervalNanos) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                    UsageRecorded event = event("fresh", Instant.now());
                    producer.send(new ProducerRecord<>(Topics.USAGE_RECORDED, event.subjectKey(),
                            JSON.writeValueAsString(event)));
                    sent++;
                }
                producer.flush();
                long waitUntil = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (count(db, "select count(*) from usage_event where tenant_id = 'fresh'") < sent
                        && System.nanoTime() < waitUntil) {
                    Thread.sleep(200);
                }
                double[] delay = percentiles(db);
                String report = report(events, cold, warm, produceSeconds, warmProduceSeconds, rate, seconds, sent,
                        count(db, "select count(*) from usage_event where tenant_id = 'fresh'"), delay,
                        service.rssKiB(), rowsWritten, prices, count(db, "select count(*) from usage_event where "
                        + "tenant_id like 'tenant-%' and cost_usd is not null"));
                BenchHost.publish(root, "usage-ingest.md", report);
            }
            finally {
                service.stop();
            }
        }
        finally {
            stack.postgres.close();
        }
        // The in-process Kafka broker keeps non-daemon threads.
        System.exit(0);
    }

    /** {@code count} events of 20 tenants named {@code prefix + n} on the topic; returns the seconds it took. */
    private static double produce(KafkaProducer<String, String> producer, String prefix, int count) throws Exception {
        long started = System.nanoTime();
        for (int i = 0; i < count; i++) {
            UsageRecorded event = event(prefix + (i % 20), Instant.now());
            producer.send(new ProducerRecord<>(Topics.USAGE_RECORDED, event.subjectKey(), JSON.writeValueAsString(event)));
        }
        producer.flush();
        return (System.nanoTime() - started) / 1e9;
    }

    /** The events of the tenants matching {@code tenants} (a {@code like} pattern) in the ledger, and how fast. */
    private record Drain(long stored, double seconds, long transactions) {

        double rate() {
            return stored / Math.max(seconds, 0.001);
        }

        double perTransaction() {
            return stored / (double) Math.max(transactions, 1);
        }
    }

    /** Waits (up to 15 minutes) for {@code events} events of {@code tenants} to be in the ledger. */
    private static Drain drain(Connection db, String tenants, int events) throws Exception {
        String where = " from usage_event where tenant_id like '" + tenants + "'";
        long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
        while (count(db, "select count(*)" + where) < events && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        return new Drain(count(db, "select count(*)" + where),
                number(db, "select extract(epoch from max(received_at) - min(received_at))" + where),
                count(db, "select count(distinct received_at)" + where));
    }

    /**
     * A call of one of a tenant's 200 users: four in five through one of its 500 proxy keys, each key owned by one user
     * (as the proxy reports a key's calls: under the key's owner), the others with the user's own Keycloak token.
     */
    private static UsageRecorded event(String tenant, Instant at) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String model = MODELS.get(random.nextInt(MODELS.size()));
        boolean failed = random.nextInt(50) == 0;
        boolean throughKey = random.nextInt(5) != 0;
        int key = random.nextInt(500);
        String user = "user-" + (throughKey ? key % 200 : random.nextInt(200));
        return new UsageRecorded(UUID.randomUUID(), null, 0, at, "bench", tenant, user,
                throughKey ? "proxy_key" : "user_token", throughKey ? "key-" + key : null,
                model.startsWith("claude") ? "anthropic" : model.startsWith("gemini") ? "gemini" : "openai", model,
                "chat.completions", random.nextBoolean(), failed ? 500 : 200, failed ? TokenUsage.NONE
                : new TokenUsage(random.nextInt(20, 4000), random.nextInt(1, 800), 0, 0, 0), random.nextInt(50, 3000),
                (long) random.nextInt(20, 800), null);
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000));
    }

    private static double[] percentiles(Connection db) throws SQLException {
        try (Statement statement = db.createStatement(); ResultSet row = statement.executeQuery("""
                select percentile_cont(0.5) within group (order by d), percentile_cont(0.99) within group (order by d),
                       max(d)
                from (select extract(epoch from received_at - occurred_at) * 1000 as d
                      from usage_event where tenant_id = 'fresh') delays""")) {
            row.next();
            return new double[] {row.getDouble(1), row.getDouble(2), row.getDouble(3)};
        }
    }

    /**
     * Prices every model of Keygate's predefined catalog (admin-service's models.yaml) from 2025-01-01, for every
     * tenant, as admin-service announces them to usage-service; returns how many.
     */
    @SuppressWarnings("unchecked")
    private static int priceCatalog(Connection db, Path root) throws Exception {
        Map<String, Object> catalog;
        try (Reader yaml = Files.newBufferedReader(root.resolve("admin-service/src/main/resources/models.yaml"))) {
            catalog = new Yaml().load(yaml);
        }
        int priced = 0;
        try (PreparedStatement insert = db.prepareStatement("""
                insert into model_price (id, tenant_id, provider, model, effective_from, input_per_million,
                    output_per_million, cache_read_per_million, cache_write_per_million)
                values (?, null, ?, ?, '2025-01-01T00:00:00Z', ?::numeric, ?::numeric, ?::numeric, ?::numeric)""")) {
            for (Map<String, Object> provider : (List<Map<String, Object>>) catalog.get("providers")) {
                for (Map<String, Object> model : (List<Map<String, Object>>) provider.getOrDefault("models",
                        List.of())) {
                    Map<String, Object> pricing = (Map<String, Object>) model.get("pricing");
                    if (pricing == null) {
                        continue;
                    }
                    insert.setObject(1, UUID.randomUUID());
                    insert.setString(2, (String) provider.get("name"));
                    insert.setString(3, (String) model.get("name"));
                    List<String> prices = List.of("input", "output", "cache_read", "cache_write");
                    for (int i = 0; i < prices.size(); i++) {
                        insert.setString(4 + i, String.valueOf(pricing.get(prices.get(i))));
                    }
                    insert.executeUpdate();
                    priced++;
                }
            }
        }
        return priced;
    }

    /** Rows inserted, updated, HOT-updated and deleted so far, per table of the service's schema. */
    private static Map<String, long[]> tableWrites(Connection db) throws SQLException {
        Map<String, long[]> writes = new TreeMap<>();
        try (Statement statement = db.createStatement(); ResultSet row = statement.executeQuery("""
                select relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del from pg_stat_user_tables""")) {
            while (row.next()) {
                writes.put(row.getString(1), new long[] {row.getLong(2), row.getLong(3), row.getLong(4),
                        row.getLong(5)});
            }
        }
        return writes;
    }

    /** What was written between two {@link #tableWrites} snapshots, for the tables written to. */
    private static Map<String, long[]> written(Map<String, long[]> before, Map<String, long[]> after) {
        Map<String, long[]> written = new TreeMap<>();
        after.forEach((table, counts) -> {
            long[] start = before.getOrDefault(table, new long[counts.length]);
            long[] delta = new long[counts.length];
            for (int i = 0; i < counts.length; i++) {
                delta[i] = counts[i] - start[i];
            }
            if (Arrays.stream(delta).anyMatch(n -> n != 0)) {
                written.put(table, delta);
            }
        });
        return written;
    }

    private static long count(Connection db, String sql) throws SQLException {
        return (long) number(db, sql);
    }

    private static double number(Connection db, String sql) throws SQLException {
        try (Statement statement = db.createStatement(); ResultSet row = statement.executeQuery(sql)) {
            row.next();
            return row.getDouble(1);
        }
    }

    private static String report(int events, Drain cold, Drain warm, double produceSeconds,
                                 double warmProduceSeconds, int rate, int seconds, int sent, long freshStored,
                                 double[] delay, long rssKiB, Map<String, long[]> rowsWritten, int prices,
                                 long pricedEvents) {
        List<String> lines = new ArrayList<>();
        lines.add("# usage-service ledger ingest");
        lines.add("");
        lines.add(Instant.now() + " · " + Runtime.getRuntime().availableProcessors() + " cores · Java "
                + System.getProperty("java.version") + " · load average " + BenchHost.loadAverage());
        lines.add("");
        lines.add("Command: `bench/usage-ingest.sh " + events + " " + rate + " " + seconds + "`. Real Kafka (KRaft, in the "
                + "benchmark's JVM) and PostgreSQL 17 on loopback; usage-service from its runnable jar with its "
                + "production settings. Every event is one row, hourly totals, per-dimension rollups, latency "
                + "histograms and budget spend, in the same transaction as its event id.");
        lines.add("");
        lines.add("| phase | figure | target |");
        lines.add("|---|---|---|");
        lines.add(String.format("| backlog drain, warm: events put on the topic while usage-service runs, after the "
                        + "cold drain | %,d of %,d events in %.1f s = **%,.0f events/s** (%,d ledger transactions, "
                        + "%.0f events each) | ≥ 50,000 events/s |", warm.stored(), events, warm.seconds(), warm.rate(),
                warm.transactions(), warm.perTransaction()));
        lines.add(String.format("| backlog drain, cold: events on the topic before usage-service starts | %,d of %,d "
                        + "events in %.1f s = %,.0f events/s (%,d ledger transactions, %.0f events each) | |",
                cold.stored(), events, cold.seconds(), cold.rate(), cold.transactions(), cold.perTransaction()));
        lines.add(String.format("| freshness at %,d events/s for %d s | %,d of %,d stored; produced → in the ledger: p50 "
                + "%.0f ms, **p99 %.0f ms**, max %.0f ms | p99 < 2,000 ms |", rate, seconds, freshStored, sent,
                delay[0], delay[1], delay[2]));
        lines.add("");
        lines.add(String.format("Putting each backlog on the topic took %.1f s (cold) and %.1f s (warm, while "
                + "usage-service drained it). usage-service RSS at the end: %d MiB.", produceSeconds,
                warmProduceSeconds, rssKiB / 1024));
        lines.add("");
        lines.add(String.format("Before the warm drain the %d model prices of Keygate's catalog (admin-service's "
                + "`models.yaml`) were stored, as admin-service announces them, and %,d of its %,d events got a cost "
                + "(failed calls cost 0). The cold drain's events found no price.",
                prices, pricedEvents, warm.stored()));
        lines.add("");
        lines.add(String.format("Rows written per table during the warm drain (PostgreSQL's `pg_stat_user_tables`), per "
                + "%,d events; a HOT update changes no index:", warm.stored()));
        lines.add("");
        lines.add("| table | inserted | updated | of which HOT | deleted |");
        lines.add("|---|---|---|---|---|");
        rowsWritten.forEach((table, n) -> lines.add(String.format("| `%s` | %,d | %,d | %,d | %,d |", table, n[0], n[1],
                n[2], n[3])));
        lines.add("");
        lines.add("The delay is measured to `received_at`, the start of the ledger transaction that stores the event "
                + "(PostgreSQL's `now()`); the analytics API sees it when that transaction commits, a few milliseconds "
                + "later.");
        return String.join("\n", lines) + "\n";
    }
}
