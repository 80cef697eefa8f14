package dev.keygate.proxy.metering;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.usage.v1.UsageRecorded;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.admin.NewTopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sends one {@link UsageRecorded} per call to Kafka, keyed by subject, off the event loop: a producer that waits for
 * metadata must never stall a response. A send that fails is counted ({@code keygate.proxy.usage.publish}
 * with {@code outcome=failed}) and logged with the event id.
 */
@Component
public class UsagePublisher {

    private static final Logger log = LoggerFactory.getLogger(UsagePublisher.class);

    private final KafkaTemplate<String, String> template;
    private final JsonMapper json;
    private final Counter sent;
    private final Counter failed;

    UsagePublisher(KafkaTemplate<String, String> template, JsonMapper json, MeterRegistry meters) {
        this.template = template;
        this.json = json;
        this.sent = meters.counter("keygate.proxy.usage.publish", "outcome", "sent");
        this.failed = meters.counter("keygate.proxy.usage.publish", "outcome", "failed");
    }

    public void publish(UsageRecorded event) {
        String payload = json.writeValueAsString(event);
        Mono.fromFuture(() -> template.send(Topics.USAGE_RECORDED, event.subjectKey(), payload))
                .subscribeOn(Schedulers.boundedElastic())
                .subscribe(result -> sent.increment(), error -> {
                    failed.increment();
                    log.error("Usage event {} could not be sent to Kafka: {}", event.eventId(), error.toString());
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class Topology {

        @Bean
        NewTopic usageRecordedTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
            return TopicBuilder.name(Topics.USAGE_RECORDED).partitions(6).replicas(replicas).build();
        }
    }
}
