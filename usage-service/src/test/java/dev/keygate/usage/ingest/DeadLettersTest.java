package dev.keygate.usage.ingest;

import dev.keygate.contracts.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.kafka.listener.ListenerExecutionFailedException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

class DeadLettersTest {

    @Test
    void refusesToDeadLetterARecordThatFailedBecauseTheLedgerWasDown() {
        @SuppressWarnings("unchecked")
        KafkaOperations<Object, Object> template = mock(KafkaOperations.class);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        DeadLetters deadLetters = new DeadLetters(template, meters);
        ConsumerRecord<String, String> record = new ConsumerRecord<>(Topics.USAGE_RECORDED, 0, 3, "acme/-", "{}");

        assertThatThrownBy(() -> deadLetters.accept(record, null, new ListenerExecutionFailedException("listener failed",
                new DataAccessResourceFailureException("connection refused"))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("redelivered");

        verify(template, never()).send(any(ProducerRecord.class));
        assertThat(meters.find("keygate.usage.dead.letters").counter()).isNull();
    }
}
