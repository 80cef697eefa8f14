package dev.keygate.usage.ingest;

import java.util.ArrayList;
import java.util.List;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.usage.v1.UsageRecorded;
import dev.keygate.usage.ledger.UsageLedger;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
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

    UsageRecordedListener(UsageRecordedReader reader, UsageLedger ledger, MeterRegistry meters) {
        this.reader = reader;
        this.ledger = ledger;
        this.recorded = meters.counter("keygate.usage.events", "outcome", "recorded");
        this.duplicates = meters.counter("keygate.usage.events", "outcome", "duplicate");
    }

    @KafkaListener(id = "usage-ledger", groupId = GROUP, topics = Topics.USAGE_RECORDED, batch = "true")
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
        log.debug("Recorded {} usage events, {} already in the ledger", fresh, events.size() - fresh);
    }
}
