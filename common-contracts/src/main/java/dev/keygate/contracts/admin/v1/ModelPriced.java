package dev.keygate.contracts.admin.v1;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A model's price from {@code effectiveFrom} on (wire type {@code model.priced}), relayed from admin-service's
 * outbox and keyed by {@code priceId}: every version stays on the compacted topic, so usage-service can price each
 * call with the price in force when it happened. A correction is a new version with an earlier
 * {@code effectiveFrom}; usage-service applies it to past calls only when asked to re-rate them.
 *
 * <p>Prices are US dollars per million tokens. {@code inputPerMillion} applies to input tokens that were neither
 * read from nor written to a prompt cache; {@code cacheReadPerMillion} and {@code cacheWritePerMillion} to those
 * that were ({@code null}: priced as ordinary input).
 *
 * @param tenantId the tenant whose own model this is; {@code null} for a predefined model every tenant sees
 * @param model the model id as the catalog names it; a call to one of its dated snapshots
 *              ({@code gpt-4o-mini-2024-07-18}, {@code claude-3-haiku-20240307}) is priced as the model
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelPriced(UUID eventId, String type, int version, Instant occurredAt, UUID priceId, String tenantId,
                          String provider, String model, Instant effectiveFrom, String currency,
                          BigDecimal inputPerMillion, BigDecimal outputPerMillion, BigDecimal cacheReadPerMillion,
                          BigDecimal cacheWritePerMillion) {

    public static final String TYPE = "model.priced";
    public static final int VERSION = 1;
    public static final String USD = "USD";

    public ModelPriced {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(priceId, "priceId");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(effectiveFrom, "effectiveFrom");
        Objects.requireNonNull(inputPerMillion, "inputPerMillion");
        Objects.requireNonNull(outputPerMillion, "outputPerMillion");
        type = type == null ? TYPE : type;
        version = version == 0 ? VERSION : version;
        currency = currency == null ? USD : currency;
        if (!USD.equals(currency)) {
            throw new IllegalArgumentException("prices are in USD");
        }
    }
}
