package dev.keygate.usage.ingest;

import java.time.Instant;
import java.util.stream.Stream;

import dev.keygate.contracts.usage.v1.UsageRecorded;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a Kafka record into a {@link UsageRecorded}, or rejects it as unreadable: not JSON, not the v1 contract (the
 * record's constructor refuses it), or holding a value PostgreSQL cannot store. The last check keeps one bad event
 * from failing its whole batch on every redelivery.
 */
@Component
class UsageRecordedReader {

    private static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    private final JsonMapper json;

    UsageRecordedReader(JsonMapper json) {
        this.json = json;
    }

    UsageRecorded read(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            throw new UnreadableRecordException(where(record) + " has no value.");
        }
        UsageRecorded event;
        try {
            event = json.readValue(record.value(), UsageRecorded.class);
        }
        catch (JacksonException ex) {
            throw new UnreadableRecordException(where(record) + " is not a usage.recorded v1 event: "
                    + ex.getOriginalMessage(), ex);
        }
        if (!UsageRecorded.TYPE.equals(event.type()) || event.version() != UsageRecorded.VERSION) {
            throw new UnreadableRecordException(where(record) + " is " + event.type() + " version " + event.version()
                    + ", not " + UsageRecorded.TYPE + " version " + UsageRecorded.VERSION + ".");
        }
        if (event.occurredAt().isBefore(EARLIEST) || event.occurredAt().isAfter(LATEST)) {
            throw new UnreadableRecordException(where(record) + " has an implausible occurredAt.");
        }
        if (Stream.of(event.region(), event.tenantId(), event.userId(), event.callerType(), event.proxyKeyId(),
                event.provider(), event.model(), event.operation(), event.traceId(), event.tier())
                .anyMatch(text -> text != null && text.indexOf('\0') >= 0)) {
            throw new UnreadableRecordException(where(record) + " has a NUL character in a text field.");
        }
        return event;
    }

    private static String where(ConsumerRecord<?, ?> record) {
        return "Record " + record.topic() + "-" + record.partition() + "@" + record.offset();
    }
}
