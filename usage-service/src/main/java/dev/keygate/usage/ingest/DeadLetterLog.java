package dev.keygate.usage.ingest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.regex.Pattern;

import dev.keygate.contracts.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.stereotype.Component;

/**
 * Keeps a row per dead-lettered usage record for the admin view ({@code GET /api/v1/ledger/dead-letters}, read by
 * {@link dev.keygate.usage.ledger.DeadLetterView}): the
 * dead-letter topic's own position (so a redelivery writes the same row once), the original position and the failure
 * from the headers Spring Kafka adds, and the tenant from the record's key ({@code tenant/user}). The record's content
 * is never stored: it may be anything.
 */
@Component
class DeadLetterLog {

    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final int MAX_REASON = 500;

    private static final String INSERT = """
            insert into dead_letter (dlt_partition, dlt_offset, source_topic, source_partition, source_offset,
                tenant_id, reason, size_bytes, dead_at)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?)
            on conflict do nothing
            """;

    private final JdbcTemplate jdbc;

    DeadLetterLog(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @KafkaListener(id = "usage-dead-letters", topics = Topics.USAGE_RECORDED + DeadLetters.SUFFIX,
            groupId = "usage-service-dead-letters", properties = "auto.offset.reset=earliest")
    void on(List<ConsumerRecord<String, String>> records) {
        for (ConsumerRecord<String, String> record : records) {
            String key = record.key();
            String tenant = key == null ? null : key.split("/", 2)[0];
            String reason = text(record.headers().lastHeader(KafkaHeaders.DLT_EXCEPTION_MESSAGE));
            jdbc.update(INSERT, record.partition(), record.offset(),
                    orElse(text(record.headers().lastHeader(KafkaHeaders.DLT_ORIGINAL_TOPIC)), Topics.USAGE_RECORDED),
                    number(record.headers().lastHeader(KafkaHeaders.DLT_ORIGINAL_PARTITION)),
                    longNumber(record.headers().lastHeader(KafkaHeaders.DLT_ORIGINAL_OFFSET)),
                    tenant != null && TENANT.matcher(tenant).matches() ? tenant : null,
                    reason == null ? null : reason.length() > MAX_REASON ? reason.substring(0, MAX_REASON) + "…" : reason,
                    record.value() == null ? 0 : record.value().getBytes(StandardCharsets.UTF_8).length,
                    Instant.ofEpochMilli(record.timestamp()).atOffset(ZoneOffset.UTC));
        }
    }

    private static String text(Header header) {
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static String orElse(String value, String fallback) {
        return value == null ? fallback : value;
    }

    private static Integer number(Header header) {
        return header == null || header.value() == null || header.value().length != 4 ? null
                : ByteBuffer.wrap(header.value()).getInt();
    }

    private static Long longNumber(Header header) {
        return header == null || header.value() == null || header.value().length != 8 ? null
                : ByteBuffer.wrap(header.value()).getLong();
    }
}
