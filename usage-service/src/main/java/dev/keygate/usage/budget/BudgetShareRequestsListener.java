package dev.keygate.usage.budget;

import java.util.List;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.usage.v1.BudgetShareGranted;
import dev.keygate.contracts.usage.v1.BudgetShareRequested;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Answers proxies' budget share requests and takes their releases ({@link BudgetShareGrants}), one usage-service
 * group for all instances. A request answered twice (a redelivery) only grants a second share that expires unused:
 * the budget is held back a little longer, never overspent.
 */
@Component
class BudgetShareRequestsListener {

    private static final Logger log = LoggerFactory.getLogger(BudgetShareRequestsListener.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final BudgetShareGrants grants;
    private final KafkaTemplate<String, String> kafka;
    private final Counter granted;
    private final Counter refused;

    BudgetShareRequestsListener(BudgetShareGrants grants, KafkaTemplate<String, String> kafka, MeterRegistry meters) {
        this.grants = grants;
        this.kafka = kafka;
        this.granted = meters.counter("keygate.usage.budget.shares", "outcome", "granted");
        this.refused = meters.counter("keygate.usage.budget.shares", "outcome", "refused");
    }

    @KafkaListener(id = "usage-budget-share-requests", topics = Topics.PROXY_BUDGET_SHARE_REQUESTS,
            groupId = "usage-service-budget-shares", properties = {"auto.offset.reset=earliest", "fetch.max.wait.ms=20"})
    void on(List<ConsumerRecord<String, String>> records) {
        for (ConsumerRecord<String, String> record : records) {
            BudgetShareRequested message;
            try {
                message = record.value() == null ? null : JSON.readValue(record.value(), BudgetShareRequested.class);
            }
            catch (RuntimeException ex) {
                log.error("Skipping an unreadable budget share message at {}-{}@{}: {}", record.topic(),
                        record.partition(), record.offset(), ex.getMessage());
                continue;
            }
            if (message == null) {
                continue;
            }
            if (message.isRelease()) {
                grants.release(message);
                continue;
            }
            BudgetShareGranted answer = grants.answer(message);
            (answer.granted() ? granted : refused).increment();
            kafka.send(Topics.USAGE_BUDGET_SHARES, answer.instanceId(), JSON.writeValueAsString(answer));
        }
    }
}
