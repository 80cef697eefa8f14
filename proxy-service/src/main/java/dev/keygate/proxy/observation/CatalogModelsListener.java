package dev.keygate.proxy.observation;

import java.util.Map;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ModelPriced;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.listener.ConsumerSeekAware;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads the compacted model price topic whole on each start, in a group of its own per instance, to learn which
 * model names the call meters may use as tags.
 */
@Component
class CatalogModelsListener implements ConsumerSeekAware {

    private final CallMeters meters;
    private final JsonMapper json;

    CatalogModelsListener(CallMeters meters, JsonMapper json) {
        this.meters = meters;
        this.json = json;
    }

    @Override
    public void onPartitionsAssigned(Map<TopicPartition, Long> assignments, ConsumerSeekCallback callback) {
        callback.seekToBeginning(assignments.keySet());
    }

    @KafkaListener(id = "catalog-models", groupId = "keygate-proxy-models-${random.uuid}",
            topics = Topics.ADMIN_MODEL_PRICES)
    void on(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            return;
        }
        meters.models().apply(json.readValue(record.value(), ModelPriced.class));
    }

    @Configuration(proxyBeanMethods = false)
    static class Topology {

        /** Same settings as admin-service and usage-service, so a proxy can start before either ever ran. */
        @Bean
        NewTopic modelPricesTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
            return TopicBuilder.name(Topics.ADMIN_MODEL_PRICES).partitions(3).replicas(replicas).compact().build();
        }
    }
}
