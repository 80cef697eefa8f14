package dev.keygate.proxy.metering;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.usage.v1.TokenUsage;
import dev.keygate.contracts.usage.v1.UsageRecorded;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.tracing.Tracer;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.SendResult;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

class UsagePublisherTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path directory;

    private final AtomicBoolean kafkaUp = new AtomicBoolean(true);
    private final List<UUID> delivered = new ArrayList<>();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private UsagePublisher publisher;

    @AfterEach
    void close() {
        if (publisher != null) {
            publisher.close();
        }
    }

    @Test
    void sendsStraightToKafkaWhileItIsUp() throws Exception {
        publisher = publisher(DataSize.ofMegabytes(1));
        UsageRecorded event = event();

        publisher.publish(event);

        await().untilAsserted(() -> assertThat(delivered()).containsExactly(event.eventId()));
        assertThat(spoolFiles()).isEmpty();
        assertThat(meters.counter("keygate.proxy.usage.spool.spooled").count()).isZero();
    }

    @Test
    void spoolsWhileKafkaIsDownAndDrainsInOrderOnceItReturns() throws Exception {
        publisher = publisher(DataSize.ofMegabytes(1));
        kafkaUp.set(false);
        List<UUID> sentWhileDown = new ArrayList<>();
        UsageRecorded first = event();
        sentWhileDown.add(first.eventId());
        publisher.publish(first);
        await().until(() -> publisher.spoolEvents() == 1);
        for (int i = 0; i < 50; i++) {
            UsageRecorded event = event();
            sentWhileDown.add(event.eventId());
            publisher.publish(event);
        }
        await().until(() -> meters.counter("keygate.proxy.usage.spool.spooled").count() == 51);
        assertThat(delivered()).isEmpty();
        assertThat(spoolFiles()).isNotEmpty();

        kafkaUp.set(true);

        await().untilAsserted(() -> assertThat(delivered()).containsExactlyElementsOf(sentWhileDown));
        await().untilAsserted(() -> assertThat(spoolFiles()).isEmpty());
        assertThat(publisher.spoolEvents()).isZero();
        assertThat(meters.counter("keygate.proxy.usage.spool.drained").count()).isEqualTo(51);

        UsageRecorded after = event();
        publisher.publish(after);
        await().untilAsserted(() -> assertThat(delivered()).last().isEqualTo(after.eventId()));
        assertThat(meters.counter("keygate.proxy.usage.spool.spooled").count()).as("straight to Kafka again")
                .isEqualTo(51);
    }

    @Test
    void refusesNewCallsOnceTheSpoolIsFullAndAcceptsAgainWhenKafkaTookItBack() {
        publisher = publisher(DataSize.ofBytes(2000));
        kafkaUp.set(false);
        assertThat(publisher.acceptingCalls()).isTrue();

        int published = 0;
        while (publisher.acceptingCalls()) {
            publisher.publish(event());
            int expected = ++published;
            await().until(() -> meters.counter("keygate.proxy.usage.spool.spooled").count() == expected);
        }
        assertThat(publisher.spoolBytes()).isGreaterThanOrEqualTo(2000);
        assertThat(meters.counter("keygate.proxy.usage.spool.refused").count()).isPositive();

        kafkaUp.set(true);
        await().until(publisher::acceptingCalls);
        await().until(() -> publisher.spoolEvents() == 0);
    }

    @Test
    void sendsWhatAnEarlierRunLeftInTheSpoolAfterAStart() throws Exception {
        publisher = publisher(DataSize.ofMegabytes(1));
        kafkaUp.set(false);
        UsageRecorded left = event();
        publisher.publish(left);
        await().until(() -> meters.counter("keygate.proxy.usage.spool.spooled").count() == 1);
        publisher.close();
        assertThat(spoolFiles()).hasSize(1);

        kafkaUp.set(true);
        publisher = publisher(DataSize.ofMegabytes(1));

        await().untilAsserted(() -> assertThat(delivered()).containsExactly(left.eventId()));
        await().untilAsserted(() -> assertThat(spoolFiles()).isEmpty());
    }

    @SuppressWarnings("unchecked")
    private UsagePublisher publisher(DataSize maxSize) {
        KafkaTemplate<String, String> template = mock(KafkaTemplate.class);
        when(template.send(eq(Topics.USAGE_RECORDED), anyString(), anyString())).thenAnswer(invocation -> {
            if (!kafkaUp.get()) {
                return CompletableFuture.failedFuture(new TimeoutException("Kafka is down in this test"));
            }
            UsageRecorded event = JSON.readValue((String) invocation.getArgument(2), UsageRecorded.class);
            assertThat((String) invocation.getArgument(1)).isEqualTo(event.subjectKey());
            synchronized (delivered) {
                delivered.add(event.eventId());
            }
            return CompletableFuture.completedFuture(mock(SendResult.class));
        });
        SpoolProperties properties = new SpoolProperties(directory, maxSize, DataSize.ofKilobytes(4),
                Duration.ZERO, Duration.ofMillis(20), Duration.ofMillis(100), 10, 100);
        return new UsagePublisher(template, JSON, properties, meters, Tracer.NOOP);
    }

    private List<UUID> delivered() {
        synchronized (delivered) {
            return List.copyOf(delivered);
        }
    }

    private List<Path> spoolFiles() throws Exception {
        try (Stream<Path> files = Files.list(directory)) {
            return files.toList();
        }
    }

    static UsageRecorded event() {
        return new UsageRecorded(UUID.randomUUID(), null, 0, Instant.now(), "local", "tenant-1", "user-1",
                "proxy_key", "pk-1", "openai", "gpt-4o-mini", "chat.completions", false, 200,
                new TokenUsage(12, 30, 0, 0, 0), 42, 7L, null);
    }
}
