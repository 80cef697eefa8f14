package dev.keygate.usage.pricing;

import dev.keygate.contracts.Topics;
import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.TopicBuilder;

@Configuration(proxyBeanMethods = false)
class PricingConfiguration {

    /** Declared by admin-service too, identically: whichever service starts first creates it. */
    @Bean
    NewTopic modelPricesTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
        return TopicBuilder.name(Topics.ADMIN_MODEL_PRICES).partitions(3).replicas(replicas).compact().build();
    }
}
