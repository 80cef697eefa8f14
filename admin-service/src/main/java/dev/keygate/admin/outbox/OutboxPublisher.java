package dev.keygate.admin.outbox;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * Sends one batch of outbox events to Kafka and returns only once Kafka acknowledged all of it. A failed batch (Kafka
 * away past {@code max.block.ms} or {@code delivery.timeout.ms}) is sent again whole, in order, after a back-off that
 * doubles up to a maximum, for as long as the relay runs: failing instead would end Debezium's engine, and with it
 * every later relay, until admin-service was restarted by hand. Sending a batch again may duplicate events, which
 * consumers absorb by event id.
 */
final class OutboxPublisher {

    private static final Logger log = LoggerFactory.getLogger(OutboxPublisher.class);

    private final KafkaTemplate<String, String> template;
    private final BooleanSupplier running;
    private final Duration initialBackoff;
    private final Duration maxBackoff;

    OutboxPublisher(KafkaTemplate<String, String> template, BooleanSupplier running, Duration initialBackoff,
                    Duration maxBackoff) {
        this.template = template;
        this.running = running;
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
    }

    /**
     * Sends {@code records} until every one is acknowledged. Throws the last failure once the relay no longer runs,
     * and {@link InterruptedException} when the engine interrupts the wait.
     */
    void sendAll(List<ProducerRecord<String, String>> records) throws InterruptedException {
        Duration backoff = initialBackoff;
        for (int attempt = 1; ; attempt++) {
            try {
                List<CompletableFuture<?>> sends = new ArrayList<>(records.size());
                for (ProducerRecord<String, String> record : records) {
                    sends.add(template.send(record));
                }
                CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
                if (attempt > 1) {
                    log.info("Outbox relay: Kafka acknowledged a batch of {} events at attempt {}", records.size(),
                            attempt);
                }
                return;
            }
            catch (RuntimeException ex) {
                if (!running.getAsBoolean()) {
                    throw ex;
                }
                log.warn("Outbox relay: sending a batch of {} events to Kafka failed (attempt {}); sending it again "
                        + "in {} ms: {}", records.size(), attempt, backoff.toMillis(), rootCause(ex));
                Thread.sleep(backoff.toMillis());
                backoff = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
            }
        }
    }

    /** The innermost cause's class and message: never a record's payload. */
    private static String rootCause(Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }
}
