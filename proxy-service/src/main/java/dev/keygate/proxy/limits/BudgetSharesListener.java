package dev.keygate.proxy.limits;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.usage.v1.BudgetShareGranted;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * usage-service's answers to this instance's share requests. Each instance reads the topic from its end in a group
 * of its own (its instance id is new at every start, so older answers are never its own).
 */
@Component
@ConditionalOnBooleanProperty(name = "keygate.proxy.budgets.enabled", matchIfMissing = true)
class BudgetSharesListener {

    private final BudgetShares shares;
    private final JsonMapper json;

    BudgetSharesListener(BudgetShares shares, JsonMapper json) {
        this.shares = shares;
        this.json = json;
    }

    @KafkaListener(id = "budget-shares", groupId = "keygate-proxy-shares-${random.uuid}", topics = Topics.USAGE_BUDGET_SHARES,
            properties = "auto.offset.reset=latest")
    void on(ConsumerRecord<String, String> record) {
        if (record.value() != null && shares.instanceId().equals(record.key())) {
            shares.onAnswer(json.readValue(record.value(), BudgetShareGranted.class));
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Topology {

        /** Declared by usage-service too, identically, so either may start first. */
        @Bean
        NewTopic budgetShareRequestsTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
            return TopicBuilder.name(Topics.PROXY_BUDGET_SHARE_REQUESTS).partitions(3).replicas(replicas)
                    .config("retention.ms", "3600000").build();
        }

        @Bean
        NewTopic budgetSharesTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
            return TopicBuilder.name(Topics.USAGE_BUDGET_SHARES).partitions(3).replicas(replicas)
                    .config("retention.ms", "3600000").build();
        }
    }
}
