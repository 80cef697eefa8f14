package dev.keygate.admin.providerkey;

import dev.keygate.contracts.Topics;
import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.TopicBuilder;

@Configuration(proxyBeanMethods = false)
class ProviderKeyConfiguration {

    @Bean
    NewTopic providerKeysTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
        // Compacted: the last change per tenant/user/provider is all a reader could need.
        return TopicBuilder.name(Topics.ADMIN_PROVIDER_KEYS).partitions(3).replicas(replicas).compact().build();
    }
}
