package dev.keygate.usage.ingest;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.usage.v1.UsageRecorded;
import dev.keygate.usage.ledger.UsageLedger;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.listener.BatchListenerFailedException;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoMoreInteractions;
import static org.mockito.Mockito.when;

class UsageRecordedListenerTest {

    private final UsageLedger ledger = mock(UsageLedger.class);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final UsageRecordedListener listener = new UsageRecordedListener(
            new UsageRecordedReader(JsonMapper.builder().build()), ledger, meters);

    @Test
    void storesAWholeBatchInOneLedgerCall() {
        UUID first = UUID.randomUUID();
        UUID second = UUID.randomUUID();
        when(ledger.record(anyList())).thenReturn(1);

        listener.onUsageRecorded(List.of(record(0, event(first)), record(1, event(second))));

        verify(ledger).record(List.of(parsed(first), parsed(second)));
        assertThat(meters.counter("keygate.usage.events", "outcome", "recorded").count()).isEqualTo(1);
        assertThat(meters.counter("keygate.usage.events", "outcome", "duplicate").count()).isEqualTo(1);
    }

    @Test
    void timesEachEventFromTheEndOfItsCallToTheLedgerCommit() {
        Instant ended = Instant.now().minusSeconds(2);
        String event = event(UUID.randomUUID())
                .replace("2026-03-01T10:00:00Z", ended.minusMillis(5).toString());
        when(ledger.record(anyList())).thenReturn(1);

        listener.onUsageRecorded(List.of(record(0, event)));

        Timer lag = meters.get("keygate.usage.lag").timer();
        assertThat(lag.count()).isEqualTo(1);
        assertThat(lag.totalTime(TimeUnit.MILLISECONDS)).isBetween(2000.0, 10_000.0);
    }

    @Test
    void storesTheEventsBeforeAnUnreadableRecordThenNamesThatRecord() {
        UUID first = UUID.randomUUID();
        ConsumerRecord<String, String> poison = record(1, "{\"eventId\": \"" + UUID.randomUUID() + "\"}");

        assertThatThrownBy(() -> listener.onUsageRecorded(List.of(record(0, event(first)), poison,
                record(2, event(UUID.randomUUID())))))
                .isInstanceOfSatisfying(BatchListenerFailedException.class, ex -> {
                    assertThat(ex.getRecord()).isSameAs(poison);
                    assertThat(ex.getCause()).isInstanceOf(UnreadableRecordException.class);
                });

        verify(ledger).record(List.of(parsed(first)));
        verifyNoMoreInteractions(ledger);
    }

    @Test
    void touchesNoLedgerWhenTheFirstRecordIsUnreadable() {
        assertThatThrownBy(() -> listener.onUsageRecorded(List.of(record(0, "]"), record(1, event(UUID.randomUUID())))))
                .isInstanceOf(BatchListenerFailedException.class);

        verifyNoMoreInteractions(ledger);
    }

    private static String event(UUID id) {
        return """
                {"eventId": "%s", "type": "usage.recorded", "version": 1, "occurredAt": "2026-03-01T10:00:00Z", "tenantId": "acme", "provider": "openai",
                 "streamed": false, "status": 200, "usage": {"inputTokens": 3, "outputTokens": 4}, "latencyMs": 5}
                """.formatted(id);
    }

    private static UsageRecorded parsed(UUID id) {
        return JsonMapper.builder().build().readValue(event(id), UsageRecorded.class);
    }

    private static ConsumerRecord<String, String> record(long offset, String value) {
        return new ConsumerRecord<>(Topics.USAGE_RECORDED, 0, offset, "acme/-", value);
    }
}
