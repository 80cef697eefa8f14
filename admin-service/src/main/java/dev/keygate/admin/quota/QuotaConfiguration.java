package dev.keygate.admin.quota;

import dev.keygate.contracts.Topics;
import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.TopicBuilder;

@Configuration(proxyBeanMethods = false)
class QuotaConfiguration {

    @Bean
    NewTopic quotaPoliciesTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
        // Compacted: the last event per policy is its state; proxies and usage-service rebuild from the start.
        return TopicBuilder.name(Topics.ADMIN_QUOTA_POLICIES).partitions(3).replicas(replicas).compact().build();
    }
}
