package dev.keygate.usage.ingest;

import java.util.UUID;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.usage.v1.UsageRecorded;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UsageRecordedReaderTest {

    private static final String FULL = """
            {
              "eventId": "7d444840-9dc0-11d1-b245-5ffdce74fad2",
              "type": "usage.recorded",
              "version": 1,
              "occurredAt": "2026-11-21T10:15:30.123Z",
              "region": "eu-west-1",
              "tenantId": "acme",
              "userId": "0f1d2c3b-4a59-4e68-9d7c-8b9a0f1e2d3c",
              "callerType": "proxy_key",
              "proxyKeyId": "c2f5b9a4-1d1e-4a8e-9a55-1f0c1f6b2a10",
              "provider": "anthropic",
              "model": "claude-3-haiku-20240307",
              "operation": "messages",
              "streamed": true,
              "status": 200,
              "usage": {"inputTokens": 2100, "outputTokens": 87, "cacheReadTokens": 2048, "cacheWriteTokens": 0,
                        "reasoningTokens": 0},
              "latencyMs": 1834,
              "firstByteMs": 212,
              "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
              "addedInAFutureMinorVersion": {"ignored": true}
            }
            """;

    // As Boot configures Jackson 3: unknown properties fail unless the record tolerates them.
    private final UsageRecordedReader reader = new UsageRecordedReader(
            JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build());

    @Test
    void readsEveryFieldOfAUsageEventAndIgnoresUnknownOnes() {
        UsageRecorded event = reader.read(record(FULL));

        assertThat(event.eventId()).isEqualTo(UUID.fromString("7d444840-9dc0-11d1-b245-5ffdce74fad2"));
        assertThat(event.tenantId()).isEqualTo("acme");
        assertThat(event.usage().inputTokens()).isEqualTo(2100);
        assertThat(event.usage().cacheReadTokens()).isEqualTo(2048);
        assertThat(event.firstByteMs()).isEqualTo(212L);
        assertThat(event.streamed()).isTrue();
    }

    @Test
    void readsAMinimalEventWithAbsentCountsAsZero() {
        UsageRecorded event = reader.read(record("""
                {"eventId": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "type": "usage.recorded", "version": 1,
                 "occurredAt": "2026-11-21T10:15:30.123Z", "tenantId": "acme", "provider": "openai",
                 "streamed": false, "status": 200, "usage": {"inputTokens": 12, "outputTokens": 9}, "latencyMs": 41}
                """));

        assertThat(event.userId()).isNull();
        assertThat(event.usage().reasoningTokens()).isZero();
    }

    @Test
    void rejectsAnEventWithoutTenantAsUnreadable() {
        assertThatThrownBy(() -> reader.read(record(FULL.replace("\"tenantId\": \"acme\",", ""))))
                .isInstanceOf(UnreadableRecordException.class)
                .hasMessageContaining(Topics.USAGE_RECORDED + "-2@17");
    }

    @Test
    void rejectsAnEventWithoutTheFieldsTheSchemaRequires() {
        assertThatThrownBy(() -> reader.read(record(FULL.replace("\"version\": 1,", ""))))
                .isInstanceOf(UnreadableRecordException.class);
        assertThatThrownBy(() -> reader.read(record(FULL.replace("\"status\": 200,", ""))))
                .isInstanceOf(UnreadableRecordException.class);
    }

    @Test
    void rejectsNegativeTokenCountsAsUnreadable() {
        assertThatThrownBy(() -> reader.read(record(FULL.replace("\"outputTokens\": 87", "\"outputTokens\": -1"))))
                .isInstanceOf(UnreadableRecordException.class);
    }

    @Test
    void rejectsTextThatIsNotJsonAsUnreadable() {
        assertThatThrownBy(() -> reader.read(record("not json {")))
                .isInstanceOf(UnreadableRecordException.class);
    }

    @Test
    void rejectsARecordWithoutValueAsUnreadable() {
        assertThatThrownBy(() -> reader.read(record(null)))
                .isInstanceOf(UnreadableRecordException.class)
                .hasMessageContaining("no value");
    }

    @Test
    void rejectsAnotherTypeOrVersionOnTheTopic() {
        assertThatThrownBy(() -> reader.read(record(FULL.replace("\"version\": 1", "\"version\": 2"))))
                .isInstanceOf(UnreadableRecordException.class)
                .hasMessageContaining("version 2");
        assertThatThrownBy(() -> reader.read(record(FULL.replace("\"usage.recorded\"", "\"usage.estimated\""))))
                .isInstanceOf(UnreadableRecordException.class);
    }

    @Test
    void rejectsValuesPostgresCannotStoreInsteadOfFailingTheBatchForever() {
        assertThatThrownBy(() -> reader.read(record(FULL.replace("\"eu-west-1\"", "\"eu\\u0000west\""))))
                .isInstanceOf(UnreadableRecordException.class)
                .hasMessageContaining("NUL");
        assertThatThrownBy(() -> reader.read(record(FULL.replace("\"streamed\"",
                "\"tier\": \"pro\\u0000\", \"streamed\""))))
                .isInstanceOf(UnreadableRecordException.class)
                .hasMessageContaining("NUL");
        assertThatThrownBy(() -> reader.read(record(FULL.replace("2026-11-21T10:15:30.123Z",
                "+300000-01-01T00:00:00Z"))))
                .isInstanceOf(UnreadableRecordException.class);
    }

    @Test
    void readsTheTierOfANewerProxyAndNoneFromAnOlderOne() {
        assertThat(reader.read(record(FULL)).tier()).isNull();
        assertThat(reader.read(record(FULL.replace("\"streamed\"", "\"tier\": \"pro\", \"streamed\""))).tier())
                .isEqualTo("pro");
    }

    private static ConsumerRecord<String, String> record(String value) {
        return new ConsumerRecord<>(Topics.USAGE_RECORDED, 2, 17, "acme/alice", value);
    }
}
