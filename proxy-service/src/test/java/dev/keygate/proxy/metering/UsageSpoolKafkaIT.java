package dev.keygate.proxy.metering;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import dev.keygate.contracts.Topics;
import dev.keygate.proxy.StandaloneKafka;
import dev.keygate.contracts.usage.v1.UsageRecorded;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.tracing.Tracer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The spool against a real Kafka broker that goes away and comes back on the same port with its data: every event
 * published while it was down arrives exactly once afterwards. Uses its own standalone KRaft broker (not the shared
 * testkit one, which cannot be stopped and started again on the same port). Spool throughput is printed, not
 * asserted.
 */
class UsageSpoolKafkaIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int EVENTS_WHILE_DOWN = 20_000;

    @TempDir
    Path spoolDirectory;

    @TempDir
    Path kafkaDirectory;

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private StandaloneKafka broker;
    private DefaultKafkaProducerFactory<String, String> producers;
    private UsagePublisher publisher;

    @AfterEach
    void stop() {
        if (publisher != null) {
            publisher.close();
        }
        if (producers != null) {
            producers.destroy();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void everyEventPublishedWhileKafkaWasDownArrivesExactlyOnceAfterItReturns() throws Exception {
        broker = new StandaloneKafka(kafkaDirectory, freePort(), freePort());
        broker.start();
        createTopic(broker.bootstrapServers());
        publisher = publisher(broker.bootstrapServers());

        UsageRecorded before = UsagePublisherTest.event();
        publisher.publish(before);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> meters.counter("keygate.proxy.usage.publish", "outcome", "sent").count() == 1);

        broker.stop();

        // The first event after the outage fails once the producer gives up on it and switches the publisher over.
        UsageRecorded first = UsagePublisherTest.event();
        publisher.publish(first);
        await().atMost(Duration.ofSeconds(60)).until(() -> spooled() == 1);

        List<UsageRecorded> whileDown = IntStream.range(0, EVENTS_WHILE_DOWN).mapToObj(i -> UsagePublisherTest.event())
                .toList();
        long writeStart = System.nanoTime();
        whileDown.forEach(publisher::publish);
        await().atMost(Duration.ofSeconds(60)).until(() -> spooled() == EVENTS_WHILE_DOWN + 1);
        long writeNanos = System.nanoTime() - writeStart;
        long bytesOnDisk = publisher.spoolBytes();
        assertThat(meters.counter("keygate.proxy.usage.spool.drained").count()).isZero();
        assertThat(publisher.spoolEvents()).isEqualTo(EVENTS_WHILE_DOWN + 1);

        long drainStart = System.nanoTime();
        broker.start();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(10))
                .until(() -> meters.counter("keygate.proxy.usage.spool.drained").count() > 0);
        long firstDrained = System.nanoTime();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(10))
                .until(() -> publisher.spoolEvents() == 0);
        long drainNanos = System.nanoTime() - drainStart;
        long pureDrainNanos = System.nanoTime() - firstDrained;

        Map<UUID, Integer> received = consumeAll(broker.bootstrapServers(), EVENTS_WHILE_DOWN + 2);
        Set<UUID> expected = new HashSet<>();
        expected.add(before.eventId());
        expected.add(first.eventId());
        whileDown.forEach(event -> expected.add(event.eventId()));
        assertThat(received.keySet()).isEqualTo(expected);
        assertThat(received.values()).allMatch(count -> count == 1);
        assertThat(meters.counter("keygate.proxy.usage.spool.lost").count()).isZero();
        assertThat(spoolDirectory.toFile().list()).isEmpty();

        System.out.printf("usage spool: %d events (%d bytes) written in %.0f ms = %.0f events/s; empty again %.0f ms "
                        + "after the broker was started; drained in %.0f ms from the first acknowledgement = "
                        + "%.0f events/s%n",
                EVENTS_WHILE_DOWN, bytesOnDisk, writeNanos / 1e6, EVENTS_WHILE_DOWN / (writeNanos / 1e9),
                drainNanos / 1e6, pureDrainNanos / 1e6, (EVENTS_WHILE_DOWN + 1) / (pureDrainNanos / 1e9));
    }

    private double spooled() {
        return meters.counter("keygate.proxy.usage.spool.spooled").count();
    }

    private UsagePublisher publisher(String bootstrap) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        // As in application.yml, but with shorter delivery timeouts so the outage is noticed sooner.
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 8000);
        producers = new DefaultKafkaProducerFactory<>(config);
        SpoolProperties properties = new SpoolProperties(spoolDirectory, DataSize.ofMegabytes(256),
                DataSize.ofMegabytes(4), Duration.ofSeconds(1), Duration.ofMillis(500), Duration.ofSeconds(2), 500,
                5000);
        return new UsagePublisher(new KafkaTemplate<>(producers), JSON, properties, meters, Tracer.NOOP);
    }

    private static void createTopic(String bootstrap) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(Topics.USAGE_RECORDED, 6, (short) 1))).all()
                    .get(60, TimeUnit.SECONDS);
        }
    }

    private static Map<UUID, Integer> consumeAll(String bootstrap, int expected) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "spool-it-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        Map<UUID, Integer> received = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
            consumer.subscribe(List.of(Topics.USAGE_RECORDED));
            long total = 0;
            long idlePolls = 0;
            // Read until the expected count arrived and then a little longer, so duplicates would be seen too.
            while (total < expected || idlePolls < 3) {
                var records = consumer.poll(Duration.ofMillis(500));
                if (records.isEmpty()) {
                    idlePolls++;
                    assertThat(idlePolls).as("records keep arriving; %d of %d so far", total, expected)
                            .isLessThan(total < expected ? 60 : 10);
                }
                for (ConsumerRecord<String, String> record : records) {
                    UsageRecorded event = JSON.readValue(record.value(), UsageRecorded.class);
                    assertThat(record.key()).isEqualTo(event.subjectKey());
                    received.merge(event.eventId(), 1, Integer::sum);
                    total++;
                }
            }
        }
        return received;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
