package dev.keygate.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads one topic of the shared test broker from its beginning, with a consumer group of its own, and keeps every
 * record it has seen: two events of one transaction may arrive in one poll, and a test may look for either.
 * Not thread-safe; one per test.
 */
public final class TopicRecorder implements AutoCloseable {

    private final KafkaConsumer<String, String> consumer;
    private final List<ConsumerRecord<String, String>> seen = new ArrayList<>();

    private TopicRecorder(String topic) {
        consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class));
        consumer.subscribe(List.of(topic));
    }

    public static TopicRecorder subscribe(String topic) {
        return new TopicRecorder(topic);
    }

    /** The latest record matching {@code wanted}, polling for up to {@code timeout}; throws if none came. */
    public ConsumerRecord<String, String> await(Predicate<ConsumerRecord<String, String>> wanted, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            ConsumerRecord<String, String> found = latest(wanted);
            if (found != null) {
                return found;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("No matching record within " + timeout + "; seen " + seen.size()
                        + " record(s) on " + consumer.subscription());
            }
            consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
        }
    }

    /** The latest record with {@code key} whose value contains {@code marker}, ignoring JSON's optional spaces. */
    public ConsumerRecord<String, String> await(String key, String marker, Duration timeout) {
        String wanted = compact(marker);
        return await(record -> key.equals(record.key()) && compact(record.value()).contains(wanted), timeout);
    }

    /** Every record seen so far, after one more poll. */
    public List<ConsumerRecord<String, String>> records() {
        consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
        return List.copyOf(seen);
    }

    private ConsumerRecord<String, String> latest(Predicate<ConsumerRecord<String, String>> wanted) {
        for (int i = seen.size() - 1; i >= 0; i--) {
            if (wanted.test(seen.get(i))) {
                return seen.get(i);
            }
        }
        return null;
    }

    /** The outbox stores payloads as jsonb, which Debezium relays with a space after each colon and comma. */
    private static String compact(String json) {
        return json.replace("\": ", "\":").replace(", \"", ",\"");
    }

    @Override
    public void close() {
        consumer.close();
    }
}
