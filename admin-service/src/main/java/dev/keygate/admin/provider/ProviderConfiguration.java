package dev.keygate.admin.provider;

import dev.keygate.contracts.Topics;
import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.TopicBuilder;

@Configuration(proxyBeanMethods = false)
class ProviderConfiguration {

    @Bean
    NewTopic providersTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
        // Compacted: the last event per provider is its route; a proxy rebuilds every route from the start.
        return TopicBuilder.name(Topics.ADMIN_PROVIDERS).partitions(3).replicas(replicas).compact().build();
    }

    @Bean
    NewTopic modelPricesTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
        // Compacted, one key per price version: the topic keeps every model's whole price history.
        return TopicBuilder.name(Topics.ADMIN_MODEL_PRICES).partitions(3).replicas(replicas).compact().build();
    }
}
