package dev.keygate.admin.provider;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.keygate.contracts.admin.v1.ModelPriced;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** A price version as announced to usage-service. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
record PriceView(UUID id, String provider, String model, Instant effectiveFrom, String currency,
                 BigDecimal inputPerMillion, BigDecimal outputPerMillion, BigDecimal cacheReadPerMillion,
                 BigDecimal cacheWritePerMillion) {

    static PriceView of(ModelPriced price) {
        return new PriceView(price.priceId(), price.provider(), price.model(), price.effectiveFrom(),
                price.currency(), price.inputPerMillion(), price.outputPerMillion(), price.cacheReadPerMillion(),
                price.cacheWritePerMillion());
    }
}
