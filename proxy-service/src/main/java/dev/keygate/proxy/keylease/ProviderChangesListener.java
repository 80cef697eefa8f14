package dev.keygate.proxy.keylease;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ProviderChanged;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Drops a tenant's cached provider keys as soon as admin-service announces a provider change there. Only changes
 * from now on matter (the cache starts empty), so this listener starts at the end of the topic, in a group of its
 * own per instance.
 */
@Component
class ProviderChangesListener {

    private final KeyvaultClient keyvault;
    private final JsonMapper json;

    ProviderChangesListener(KeyvaultClient keyvault, JsonMapper json) {
        this.keyvault = keyvault;
        this.json = json;
    }

    @KafkaListener(id = "provider-key-leases", groupId = "keygate-proxy-leases-${random.uuid}",
            topics = Topics.ADMIN_PROVIDERS, properties = "auto.offset.reset=latest")
    void on(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            return;
        }
        keyvault.forgetTenant(json.readValue(record.value(), ProviderChanged.class).tenantId());
    }

    @Configuration(proxyBeanMethods = false)
    static class Topology {

        /** Same settings as admin-service, so a proxy can start before admin-service ever ran. */
        @Bean
        NewTopic providersTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
            return TopicBuilder.name(Topics.ADMIN_PROVIDERS).partitions(3).replicas(replicas).compact().build();
        }
    }
}
