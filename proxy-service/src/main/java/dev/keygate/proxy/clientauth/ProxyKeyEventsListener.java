package dev.keygate.proxy.clientauth;

import java.util.Map;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ProxyKeyEvent;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.listener.ConsumerSeekAware;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads every partition of the compacted proxy-key topic from the beginning on each start (no consumer group
 * state), so each proxy instance holds the full current view and learns of a revocation as soon as it is relayed.
 */
@Component
class ProxyKeyEventsListener implements ConsumerSeekAware {

    private final ProxyKeyDirectory directory;
    private final JsonMapper json;

    ProxyKeyEventsListener(ProxyKeyDirectory directory, JsonMapper json) {
        this.directory = directory;
        this.json = json;
    }

    @Override
    public void onPartitionsAssigned(Map<org.apache.kafka.common.TopicPartition, Long> assignments,
                                     ConsumerSeekCallback callback) {
        // A group of its own per instance gets every partition; always replay them whole.
        callback.seekToBeginning(assignments.keySet());
    }

    // A revocation must reach every proxy within a second. The consumer's fetch wait (application.yml) does not delay
    // it: the broker answers a waiting fetch as soon as a record is written.
    @KafkaListener(id = "proxy-keys", groupId = "keygate-proxy-${random.uuid}", topics = Topics.ADMIN_PROXY_KEYS)
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
