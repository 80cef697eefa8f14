package dev.keygate.admin.outbox;

import dev.keygate.contracts.Topics;
import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.jdbc.autoconfigure.DataSourceProperties;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.KafkaTemplate;

@Configuration(proxyBeanMethods = false)
class OutboxConfiguration {

    @Bean
    NewTopic proxyKeysTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
        // Compacted: the last event per proxy key is its state; every proxy rebuilds its view from the start.
        return TopicBuilder.name(Topics.ADMIN_PROXY_KEYS).partitions(3).replicas(replicas).compact().build();
    }

    @Bean
    OutboxSlot outboxSlot(JdbcTemplate jdbc, OutboxProperties properties) {
        return new OutboxSlot(jdbc, properties.slotName());
    }

    @Bean
    @ConditionalOnProperty(name = "keygate.outbox.enabled", havingValue = "true", matchIfMissing = true)
    OutboxRelay outboxRelay(OutboxSlot slot, OutboxProperties properties, DataSourceProperties dataSource,
                            KafkaProperties kafka, KafkaTemplate<String, String> template,
                            @Value("${keygate.kafka.replication-factor}") int replicas) {
        return new OutboxRelay(properties, dataSource, kafka, template, replicas);
    }
}
