package dev.keygate.proxy.limits;

import java.util.Map;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.usage.v1.BudgetState;
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
 * Reads the compacted budget-state topic whole from the beginning on each start, like the proxy-key and policy
 * listeners, so every proxy instance holds every budget's latest state.
 */
@Component
class BudgetStatesListener implements ConsumerSeekAware {

    private final PublishedBudgets budgets;
    private final JsonMapper json;

    BudgetStatesListener(PublishedBudgets budgets, JsonMapper json) {
        this.budgets = budgets;
        this.json = json;
    }

    @Override
    public void onPartitionsAssigned(Map<TopicPartition, Long> assignments, ConsumerSeekCallback callback) {
        callback.seekToBeginning(assignments.keySet());
    }

    @KafkaListener(id = "budget-states", groupId = "keygate-proxy-budgets-${random.uuid}",
            topics = Topics.USAGE_BUDGET_STATE)
    void on(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            return;
        }
        budgets.apply(json.readValue(record.value(), BudgetState.class));
    }

    @Configuration(proxyBeanMethods = false)
    static class Topology {

        /** Declared here too (same settings as usage-service) so a proxy can start before usage-service ever ran. */
        @Bean
        NewTopic budgetStateTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
            return TopicBuilder.name(Topics.USAGE_BUDGET_STATE).partitions(3).replicas(replicas).compact().build();
        }
    }
}
