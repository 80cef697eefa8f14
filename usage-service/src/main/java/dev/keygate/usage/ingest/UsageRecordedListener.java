package dev.keygate.usage.ingest;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.usage.v1.UsageRecorded;
import dev.keygate.usage.ledger.UsageLedger;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.stereotype.Component;

/**
 * Moves each polled batch of usage events into the ledger in one database transaction. The container commits the
 * batch's offsets only after this method returns, i.e. after the transaction has committed: a crash in between
 * redelivers the batch, and the ledger's event-id key makes the redelivery change nothing.
 */
@Component
class UsageRecordedListener {

    static final String GROUP = "usage-service";

    private static final Logger log = LoggerFactory.getLogger(UsageRecordedListener.class);

    private final UsageRecordedReader reader;
    private final UsageLedger ledger;
    private final Counter recorded;
    private final Counter duplicates;
    private final Timer lag;
    private final Clock clock = Clock.systemUTC();

    UsageRecordedListener(UsageRecordedReader reader, UsageLedger ledger, MeterRegistry meters) {
        this.reader = reader;
        this.ledger = ledger;
        this.recorded = meters.counter("keygate.usage.events", "outcome", "recorded");
        this.duplicates = meters.counter("keygate.usage.events", "outcome", "duplicate");
        this.lag = Timer.builder("keygate.usage.lag")
                .description("End of a proxied call to its usage event's ledger commit")
                .serviceLevelObjectives(Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
                        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30),
                        Duration.ofMinutes(5), Duration.ofMinutes(30))
                .register(meters);
    }

    @KafkaListener(id = "usage-ledger", groupId = GROUP, topics = Topics.USAGE_RECORDED, batch = "true",
            concurrency = "${keygate.usage.ledger.consumers}")
    void onUsageRecorded(List<ConsumerRecord<String, String>> records) {
        List<UsageRecorded> events = new ArrayList<>(records.size());
        for (ConsumerRecord<String, String> record : records) {
            try {
                events.add(reader.read(record));
            }
            catch (UnreadableRecordException ex) {
                // The error handler commits the offsets before the failed record, so those events must be in the
                // ledger first; it then dead-letters the failed record and redelivers the ones after it.
                store(events);
                throw new BatchListenerFailedException(ex.getMessage(), ex, record);
            }
        }
        store(events);
    }

    private void store(List<UsageRecorded> events) {
        if (events.isEmpty()) {
            return;
        }
        int fresh = ledger.record(events);
        recorded.increment(fresh);
        duplicates.increment(events.size() - fresh);
        // The proxy publishes when the call ends: received (occurredAt) plus its latency. Redeliveries count again,
        // which is right: their lag is what the ledger is behind.
        long committed = clock.millis();
        for (UsageRecorded event : events) {
            long ended = event.occurredAt().toEpochMilli() + Math.max(0, event.latencyMs());
            lag.record(Duration.ofMillis(Math.max(0, committed - ended)));
        }
        log.debug("Recorded {} usage events, {} already in the ledger", fresh, events.size() - fresh);
    }
}
