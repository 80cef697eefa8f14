package dev.keygate.usage.budget;

import dev.keygate.contracts.Topics;
import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.scheduling.annotation.EnableScheduling;

@Configuration(proxyBeanMethods = false)
@EnableScheduling
class BudgetConfiguration {

    /** Compacted: the latest state per budget is what a proxy needs, read whole at its start. */
    @Bean
    NewTopic budgetStateTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
        return TopicBuilder.name(Topics.USAGE_BUDGET_STATE).partitions(3).replicas(replicas).compact().build();
    }

    /** Proxies' share requests and releases, keyed by budget: one budget's messages are answered in order. */
    @Bean
    NewTopic budgetShareRequestsTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
        return TopicBuilder.name(Topics.PROXY_BUDGET_SHARE_REQUESTS).partitions(3).replicas(replicas)
                .config("retention.ms", "3600000").build();
    }

    /** Grants and refusals, keyed by proxy instance; each proxy reads from the end and keeps its own. */
    @Bean
    NewTopic budgetSharesTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
        return TopicBuilder.name(Topics.USAGE_BUDGET_SHARES).partitions(3).replicas(replicas)
                .config("retention.ms", "3600000").build();
    }

    /** Declared by admin-service too, identically; whichever starts first creates them. */
    @Bean
    NewTopic quotaPoliciesTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
        return TopicBuilder.name(Topics.ADMIN_QUOTA_POLICIES).partitions(3).replicas(replicas).compact().build();
    }

    @Bean
    NewTopic proxyKeysTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
        return TopicBuilder.name(Topics.ADMIN_PROXY_KEYS).partitions(3).replicas(replicas).compact().build();
    }
}
