package dev.keygate.usage.ingest;

import dev.keygate.contracts.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.KafkaException;
import org.springframework.kafka.config.ContainerCustomizer;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.util.backoff.FixedBackOff;

@Configuration(proxyBeanMethods = false)
class IngestConfiguration {

    @Bean
    NewTopic usageRecordedTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
        return TopicBuilder.name(Topics.USAGE_RECORDED).partitions(6).replicas(replicas).build();
    }

    @Bean
    NewTopic usageRecordedDeadLetterTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
        return TopicBuilder.name(Topics.USAGE_RECORDED + DeadLetters.SUFFIX).partitions(1).replicas(replicas).build();
    }

    /**
     * Picked up by Boot's listener container factory. A record the listener names in a
     * {@code BatchListenerFailedException} is retried twice, then dead-lettered; the records before it are committed
     * and the ones after it redelivered. Any other failure retries the whole batch, for as long as it takes, because
     * {@link DeadLetters} refuses to dead-letter it.
     */
    /**
     * Picked up by Boot's listener container factory. With {@code spring.kafka.listener.observation-enabled}, a batch
     * listener gets one observation per record only when asked: each usage event's consumer span then continues the
     * call's trace from the record's {@code traceparent} header, while the ledger write stays one per batch.
     */
    @Bean
    ContainerCustomizer<Object, Object, ConcurrentMessageListenerContainer<Object, Object>> recordObservationsInBatch() {
        return container -> container.getContainerProperties().setRecordObservationsInBatch(true);
    }

    @Bean
    DefaultErrorHandler usageRecordedErrorHandler(KafkaTemplate<String, String> template, MeterRegistry meters) {
        DefaultErrorHandler handler = new DefaultErrorHandler(new DeadLetters(template, meters), new FixedBackOff(200, 2));
        // The handler's "seek to current" after a dead letter is routine; keep ERROR for failures that need a human.
        handler.setLogLevel(KafkaException.Level.WARN);
        return handler;
    }
}
