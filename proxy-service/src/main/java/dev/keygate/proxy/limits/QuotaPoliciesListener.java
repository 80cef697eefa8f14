package dev.keygate.proxy.limits;

import java.util.Map;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.QuotaPolicyChanged;
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
 * Reads every partition of the compacted quota-policy topic from the beginning on each start, like the proxy-key
 * listener, so each proxy instance holds every current policy and applies a change within a second of its relay.
 */
@Component
class QuotaPoliciesListener implements ConsumerSeekAware {

    private final QuotaPolicies policies;
    private final JsonMapper json;

    QuotaPoliciesListener(QuotaPolicies policies, JsonMapper json) {
        this.policies = policies;
        this.json = json;
    }

    @Override
    public void onPartitionsAssigned(Map<TopicPartition, Long> assignments, ConsumerSeekCallback callback) {
        callback.seekToBeginning(assignments.keySet());
    }

    @KafkaListener(id = "quota-policies", groupId = "keygate-proxy-policies-${random.uuid}",
            topics = Topics.ADMIN_QUOTA_POLICIES)
    void on(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            return;
        }
        policies.apply(json.readValue(record.value(), QuotaPolicyChanged.class));
    }

    @Configuration(proxyBeanMethods = false)
    static class Topology {

        /** Declared here too so a proxy can start before admin-service ever ran. */
        @Bean
        NewTopic quotaPoliciesTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
            return TopicBuilder.name(Topics.ADMIN_QUOTA_POLICIES).partitions(3).replicas(replicas).compact().build();
        }
    }
}
