package dev.keygate.usage.ingest;

import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.kafka.listener.ConsumerAwareRecordRecoverer;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;

/**
 * Publishes unreadable records to {@code <topic>.dlt} and counts them in {@code keygate.usage.dead.letters}. Any
 * other failure (the database being down, say) is refused: the error handler then redelivers the batch instead of
 * parking good usage events where nobody bills them.
 */
final class DeadLetters implements ConsumerAwareRecordRecoverer {

    static final String SUFFIX = ".dlt";

    private final DeadLetterPublishingRecoverer publisher;
    private final MeterRegistry meters;

    DeadLetters(KafkaOperations<?, ?> template, MeterRegistry meters) {
        // Partition -1: the producer picks one by key, whatever the dead-letter topic's partition count.
        this.publisher = new DeadLetterPublishingRecoverer(template,
                (record, ex) -> new TopicPartition(record.topic() + SUFFIX, -1));
        this.meters = meters;
    }

    @Override
    public void accept(ConsumerRecord<?, ?> record, Consumer<?, ?> consumer, Exception exception) {
        if (!isUnreadable(exception)) {
            throw new IllegalStateException("Not dead-lettering " + record.topic() + "-" + record.partition() + "@"
                    + record.offset() + ": it failed for a reason other than its content; its batch is redelivered.",
                    exception);
        }
        publisher.accept(record, consumer, exception);
        meters.counter("keygate.usage.dead.letters", "topic", record.topic()).increment();
    }

    private static boolean isUnreadable(Throwable exception) {
        // Bounded, in case a cause chain loops.
        Throwable cause = exception;
        for (int depth = 0; cause != null && depth < 16; depth++, cause = cause.getCause()) {
            if (cause instanceof UnreadableRecordException) {
                return true;
            }
        }
        return false;
    }
}
