package dev.keygate.proxy.clientauth;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ProxyKeyEvent;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.annotation.PartitionOffset;
import org.springframework.kafka.annotation.TopicPartition;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads every partition of the compacted proxy-key topic from the beginning on each start (no consumer group
 * state), so each proxy instance holds the full current view and learns of a revocation as soon as it is relayed.
 */
@Component
class ProxyKeyEventsListener {

    private final ProxyKeyDirectory directory;
    private final JsonMapper json;

    ProxyKeyEventsListener(ProxyKeyDirectory directory, JsonMapper json) {
        this.directory = directory;
        this.json = json;
    }

    @KafkaListener(id = "proxy-keys", groupId = "keygate-proxy-${random.uuid}",
            topicPartitions = @TopicPartition(topic = Topics.ADMIN_PROXY_KEYS,
                    partitionOffsets = @PartitionOffset(partition = "*", initialOffset = "0")))
    void on(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            return;
        }
        directory.apply(json.readValue(record.value(), ProxyKeyEvent.class));
    }

    @Configuration(proxyBeanMethods = false)
    static class Topology {

        /** Declared here too (same settings as admin-service) so a proxy can start before admin-service ever ran. */
        @Bean
        NewTopic proxyKeysTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
            return TopicBuilder.name(Topics.ADMIN_PROXY_KEYS).partitions(3).replicas(replicas).compact().build();
        }
    }
}
