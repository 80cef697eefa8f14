package dev.keygate.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
import tools.jackson.databind.json.JsonMapper;

/**
 * usage-service's ledger ingest, on loopback with a real Kafka broker and PostgreSQL 17, in two phases:
 * <ol>
 * <li>throughput: {@code events} usage events are put on the topic first, then usage-service starts and drains the
 * backlog; the rate is the events over the time between the first and the last ledger transaction;</li>
 * <li>freshness: events are produced at {@code rate} per second for {@code seconds}, each stamped when it is sent;
 * the delay to its ledger row ({@code received_at}, set in the same transaction that makes it visible to the
 * analytics API) gives p50/p99/max.</li>
 * </ol>
 * Arguments: {@code [events=200000] [rate=1000] [seconds=30]}. Writes {@code bench/results/usage-ingest.md}.
 */
public final class UsageIngestBenchmark {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final List<String> MODELS = List.of("gpt-4o-mini", "gpt-4o", "claude-3-5-haiku-latest",
            "claude-sonnet-4", "gemini-2.0-flash");

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
            long produceStarted = System.nanoTime();
            for (int i = 0; i < events; i++) {
                UsageRecorded event = event("tenant-" + (i % 20), Instant.now());
                producer.send(new ProducerRecord<>(Topics.USAGE_RECORDED, event.subjectKey(), JSON.writeValueAsString(event)));
            }
            producer.flush();
            double produceSeconds = (System.nanoTime() - produceStarted) / 1e9;
            System.out.printf("%d events on the topic in %.1f s; starting usage-service%n", events, produceSeconds);

            ServiceProcess service = stack.start(root, work, stack.environment("http://127.0.0.1:3/realms/keygate", work));
            try (Connection db = stack.connect()) {
                stack.awaitHealthy(service, Duration.ofSeconds(180));
                long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
                while (count(db, "select count(*) from usage_event") < events && System.nanoTime() < deadline) {
                    Thread.sleep(500);
                }
                long stored = count(db, "select count(*) from usage_event");
                double drainSeconds = number(db, "select extract(epoch from max(received_at) - min(received_at)) "
                        + "from usage_event");
                long transactions = count(db, "select count(distinct received_at) from usage_event");

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
                String report = report(events, stored, produceSeconds, drainSeconds, transactions, rate, seconds, sent,
                        count(db, "select count(*) from usage_event where tenant_id = 'fresh'"), delay,
                        service.rssKiB());
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

    private static UsageRecorded event(String tenant, Instant at) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String model = MODELS.get(random.nextInt(MODELS.size()));
        boolean failed = random.nextInt(50) == 0;
        return new UsageRecorded(UUID.randomUUID(), null, 0, at, "bench", tenant, "user-" + random.nextInt(200),
                "proxy_key", "key-" + random.nextInt(500), model.startsWith("claude") ? "anthropic"
                : model.startsWith("gemini") ? "gemini" : "openai", model, "chat.completions", random.nextBoolean(),
                failed ? 500 : 200, failed ? TokenUsage.NONE : new TokenUsage(random.nextInt(20, 4000),
                random.nextInt(1, 800), 0, 0, 0), random.nextInt(50, 3000), (long) random.nextInt(20, 800), null);
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

    private static long count(Connection db, String sql) throws SQLException {
        return (long) number(db, sql);
    }

    private static double number(Connection db, String sql) throws SQLException {
        try (Statement statement = db.createStatement(); ResultSet row = statement.executeQuery(sql)) {
            row.next();
            return row.getDouble(1);
        }
    }

    private static String report(int events, long stored, double produceSeconds, double drainSeconds,
                                 long transactions, int rate, int seconds, int sent, long freshStored, double[] delay,
                                 long rssKiB) {
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
        lines.add(String.format("| backlog drain | %,d of %,d events in %.1f s = **%,.0f events/s** (%,d ledger transactions, "
                        + "%.0f events each) | ≥ 50,000 events/s |", stored, events, drainSeconds,
                stored / Math.max(drainSeconds, 0.001), transactions, stored / (double) Math.max(transactions, 1)));
        lines.add(String.format("| freshness at %,d events/s for %d s | %,d of %,d stored; produced → in the ledger: p50 "
                + "%.0f ms, **p99 %.0f ms**, max %.0f ms | p99 < 2,000 ms |", rate, seconds, freshStored, sent,
                delay[0], delay[1], delay[2]));
        lines.add("");
        lines.add(String.format("Putting the backlog on the topic took %.1f s. usage-service RSS at the end: %d MiB.",
                produceSeconds, rssKiB / 1024));
        lines.add("");
        lines.add("The delay is measured to `received_at`, the start of the ledger transaction that stores the event "
                + "(PostgreSQL's `now()`); the analytics API sees it when that transaction commits, a few milliseconds "
                + "later.");
        return String.join("\n", lines) + "\n";
    }
}
