package dev.keygate.proxy.keylease;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ProviderKeyChanged;
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
 * Drops a cached provider key as soon as admin-service announces that a user's own key or the tenant's
 * organisation key was stored, replaced or deleted, so the next call resolves the current key from keyvault.
 * <p>
 * Every instance must see every event (each has its own cache), hence a group of its own per instance. It starts at
 * the end of the topic: the cache starts empty and everything put in it afterwards was resolved from keyvault after
 * the instance started, so no earlier event can make an entry stale; replaying the compacted history would only
 * evict entries that do not exist yet. The one gap is a change committed after a key was cached but before this
 * consumer got its partitions at start-up; the cache TTL bounds that, as it bounds a lost event.
 */
@Component
class ProviderKeyChangesListener {

    private final KeyvaultClient keyvault;
    private final JsonMapper json;

    ProviderKeyChangesListener(KeyvaultClient keyvault, JsonMapper json) {
        this.keyvault = keyvault;
        this.json = json;
    }

    @KafkaListener(id = "provider-key-changes", groupId = "keygate-proxy-provider-keys-${random.uuid}",
            topics = Topics.ADMIN_PROVIDER_KEYS, properties = "auto.offset.reset=latest")
    void on(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            return;
        }
        ProviderKeyChanged changed = json.readValue(record.value(), ProviderKeyChanged.class);
        keyvault.forgetProviderKey(changed.tenantId(), changed.userId(), changed.provider());
    }

    @Configuration(proxyBeanMethods = false)
    static class Topology {

        /** Same settings as admin-service, so a proxy can start before admin-service ever ran. */
        @Bean
        NewTopic providerKeysTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
            return TopicBuilder.name(Topics.ADMIN_PROVIDER_KEYS).partitions(3).replicas(replicas).compact().build();
        }
    }
}
