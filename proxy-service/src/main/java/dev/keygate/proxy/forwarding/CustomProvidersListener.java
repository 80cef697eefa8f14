package dev.keygate.proxy.forwarding;

import java.util.Map;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ProviderChanged;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.listener.ConsumerSeekAware;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads the compacted provider topic whole from the beginning on each start, in a group of its own per instance,
 * so every proxy routes to every tenant's current custom providers (the topic's own declaration is in keylease).
 */
@Component
class CustomProvidersListener implements ConsumerSeekAware {

    private final CustomProviders providers;
    private final JsonMapper json;

    CustomProvidersListener(CustomProviders providers, JsonMapper json) {
        this.providers = providers;
        this.json = json;
    }

    @Override
    public void onPartitionsAssigned(Map<TopicPartition, Long> assignments, ConsumerSeekCallback callback) {
        callback.seekToBeginning(assignments.keySet());
    }

    @KafkaListener(id = "custom-providers", groupId = "keygate-proxy-providers-${random.uuid}",
            topics = Topics.ADMIN_PROVIDERS)
    void on(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            return;
        }
        providers.apply(json.readValue(record.value(), ProviderChanged.class));
    }
}
