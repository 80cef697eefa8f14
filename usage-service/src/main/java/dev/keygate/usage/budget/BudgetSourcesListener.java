package dev.keygate.usage.budget;

import java.util.List;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ProxyKeyEvent;
import dev.keygate.contracts.admin.v1.ProxyKeyIssued;
import dev.keygate.contracts.admin.v1.ProxyKeyRevoked;
import dev.keygate.contracts.admin.v1.QuotaPolicyChanged;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Keeps {@link BudgetLimits} in step with admin-service: quota policies and proxy keys, read with committed offsets
 * of usage-service's own groups (the rows live in its database, so every instance shares them).
 */
@Component
class BudgetSourcesListener {

    private static final Logger log = LoggerFactory.getLogger(BudgetSourcesListener.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final BudgetLimits limits;

    BudgetSourcesListener(BudgetLimits limits) {
        this.limits = limits;
    }

    @KafkaListener(id = "usage-quota-policies", topics = Topics.ADMIN_QUOTA_POLICIES,
            groupId = "usage-service-budgets", properties = "auto.offset.reset=earliest")
    void onPolicies(List<ConsumerRecord<String, String>> records) {
        for (ConsumerRecord<String, String> record : records) {
            QuotaPolicyChanged policy = read(record, QuotaPolicyChanged.class);
            if (policy != null) {
                limits.apply(policy);
            }
        }
    }

    @KafkaListener(id = "usage-proxy-keys", topics = Topics.ADMIN_PROXY_KEYS, groupId = "usage-service-key-budgets",
            properties = "auto.offset.reset=earliest")
    void onProxyKeys(List<ConsumerRecord<String, String>> records) {
        for (ConsumerRecord<String, String> record : records) {
            ProxyKeyEvent event = read(record, ProxyKeyEvent.class);
            if (event instanceof ProxyKeyIssued) {
                limits.apply((ProxyKeyIssued) event);
            }
            else if (event instanceof ProxyKeyRevoked) {
                limits.apply((ProxyKeyRevoked) event);
            }
        }
    }

    private static <T> T read(ConsumerRecord<String, String> record, Class<T> type) {
        if (record.value() == null) {
            return null;
        }
        try {
            return JSON.readValue(record.value(), type);
        }
        catch (RuntimeException ex) {
            log.error("Skipping an unreadable record at {}-{}@{}: {}", record.topic(), record.partition(),
                    record.offset(), ex.getMessage());
            return null;
        }
    }
}
