package dev.keygate.usage.pricing;

import java.util.List;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ModelPriced;
import dev.keygate.usage.ledger.PriceList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Keeps the price list in step with admin-service's catalog. The group's committed offset and the idempotent insert
 * make each version stored once; a call priced before its version arrived is re-rated on request.
 */
@Component
class ModelPricesListener {

    private static final Logger log = LoggerFactory.getLogger(ModelPricesListener.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final PriceList prices;

    ModelPricesListener(PriceList prices) {
        this.prices = prices;
    }

    @KafkaListener(id = "usage-model-prices", topics = Topics.ADMIN_MODEL_PRICES, groupId = "usage-service-prices",
            batch = "true", properties = "auto.offset.reset=earliest")
    void onPrices(List<ConsumerRecord<String, String>> records) {
        for (ConsumerRecord<String, String> record : records) {
            ModelPriced price;
            try {
                price = JSON.readValue(record.value(), ModelPriced.class);
            }
            catch (RuntimeException ex) {
                log.error("Skipping an unreadable price event at {}-{}@{}: {}", record.topic(), record.partition(),
                        record.offset(), ex.getMessage());
                continue;
            }
            prices.add(price);
            log.info("Price of {}/{} from {} for {}: {} in, {} out per million tokens", price.provider(),
                    price.model(), price.effectiveFrom(), price.tenantId() == null ? "every tenant" : price.tenantId(),
                    price.inputPerMillion(), price.outputPerMillion());
        }
    }
}
