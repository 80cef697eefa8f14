package dev.keygate.admin.outbox;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.KafkaException;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.support.SendResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;

/**
 * A broker outage longer than the producer's timeouts no longer ends the outbox relay: ReliabilityIT found that a
 * proxy key created while Kafka was stopped for a minute never reached the proxy, because the failed send ended
 * Debezium's engine for good.
 */
class OutboxPublisherTest {

    private static final Duration BACKOFF = Duration.ofMillis(1);

    @Test
    void aBatchKafkaRefusesIsSentAgainWholeAndInOrderUntilAcknowledged() throws Exception {
        FlakyTemplate kafka = new FlakyTemplate(6);
        OutboxPublisher publisher = new OutboxPublisher(kafka, () -> true, BACKOFF, Duration.ofMillis(4));

        publisher.sendAll(List.of(record("created"), record("revoked")));

        assertThat(kafka.sent).containsExactly("created", "revoked", "created", "revoked", "created", "revoked",
                "created", "revoked");
        assertThat(kafka.acknowledged).containsExactly("created", "revoked");
    }

    @Test
    void aStoppedRelayGivesUpWithTheFailure() {
        FlakyTemplate kafka = new FlakyTemplate(Integer.MAX_VALUE);
        AtomicBoolean running = new AtomicBoolean(true);
        OutboxPublisher publisher = new OutboxPublisher(kafka, () -> running.getAndSet(false), BACKOFF, BACKOFF);

        assertThatThrownBy(() -> publisher.sendAll(List.of(record("created"))))
                .hasRootCauseInstanceOf(TimeoutException.class);
        assertThat(kafka.sent).hasSize(2);
    }

    @Test
    void aSendThatThrowsAtOnceIsRetriedToo() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        @SuppressWarnings("unchecked")
        KafkaTemplate<String, String> kafka = new KafkaTemplate<String, String>(mock(ProducerFactory.class)) {
            @Override
            public CompletableFuture<SendResult<String, String>> send(ProducerRecord<String, String> record) {
                if (calls.incrementAndGet() == 1) {
                    throw new KafkaException("Send failed", new TimeoutException("metadata after 60000 ms"));
                }
                return CompletableFuture.completedFuture(new SendResult<>(record, null));
            }
        };

        new OutboxPublisher(kafka, () -> true, BACKOFF, BACKOFF).sendAll(List.of(record("created")));

        assertThat(calls).hasValue(2);
    }

    private static ProducerRecord<String, String> record(String value) {
        return new ProducerRecord<>("keygate.admin.proxy-keys.v1", "key-1", value);
    }

    /** Kafka away: the first {@code failures} sends fail as an expired delivery does, later ones are acknowledged. */
    private static final class FlakyTemplate extends KafkaTemplate<String, String> {

        private final List<String> sent = new ArrayList<>();
        private final List<String> acknowledged = new ArrayList<>();
        private int failures;

        @SuppressWarnings("unchecked")
        FlakyTemplate(int failures) {
            super(mock(ProducerFactory.class));
            this.failures = failures;
        }

        @Override
        public CompletableFuture<SendResult<String, String>> send(ProducerRecord<String, String> record) {
            sent.add(record.value());
            if (failures > 0) {
                failures--;
                return CompletableFuture.failedFuture(new KafkaException("Send failed",
                        new TimeoutException("Expiring 1 record(s): 30000 ms has passed since batch creation")));
            }
            acknowledged.add(record.value());
            return CompletableFuture.completedFuture(new SendResult<>(record, null));
        }
    }
}
