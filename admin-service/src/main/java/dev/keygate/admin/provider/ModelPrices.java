package dev.keygate.admin.provider;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

import dev.keygate.admin.outbox.Outbox;
import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ModelPriced;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Announces price versions to usage-service through the outbox, in the caller's transaction, and keeps each one in
 * {@code model_price}. A catalog price is announced only when it differs from the last one announced for that model,
 * so restarting admin-service with an unchanged models.yaml announces nothing.
 */
@Component
class ModelPrices {

    /** Who announced the prices of models.yaml. */
    static final String CATALOG_FILE = "models.yaml";

    private final JdbcTemplate jdbc;
    private final Outbox outbox;

    ModelPrices(JdbcTemplate jdbc, Outbox outbox) {
        this.jdbc = jdbc;
        this.outbox = outbox;
    }

    /** Announces {@code pricing} from {@code now} on unless it is already the model's latest price. */
    boolean announceIfChanged(String tenantId, String provider, String model, Pricing pricing, String by,
                              Instant now) {
        if (pricing == null || pricing.inputPerMillion() == null || pricing.outputPerMillion() == null) {
            return false;
        }
        List<Pricing> latest = jdbc.query("""
                        select input_per_million, output_per_million, cache_read_per_million, cache_write_per_million
                        from model_price where provider = ? and model = ? and tenant_id is not distinct from ?
                        order by effective_from desc, announced_at desc limit 1""",
                (rs, row) -> new Pricing(rs.getBigDecimal(1), rs.getBigDecimal(2), rs.getBigDecimal(3),
                        rs.getBigDecimal(4)), provider, model, tenantId);
        if (!latest.isEmpty() && same(latest.get(0), pricing)) {
            return false;
        }
        announce(tenantId, provider, model, pricing, now, by, now);
        return true;
    }

    /** Announces a price version as given, also one effective in the past (a correction). */
    ModelPriced announce(String tenantId, String provider, String model, Pricing pricing, Instant effectiveFrom,
                         String by, Instant now) {
        ModelPriced event = new ModelPriced(UUID.randomUUID(), null, 0, now, UUID.randomUUID(), tenantId, provider,
                model, effectiveFrom, ModelPriced.USD, pricing.inputPerMillion(), pricing.outputPerMillion(),
                pricing.cacheReadPerMillion(), pricing.cacheWritePerMillion());
        jdbc.update("""
                        insert into model_price (id, tenant_id, provider, model, effective_from, input_per_million,
                            output_per_million, cache_read_per_million, cache_write_per_million, announced_by,
                            announced_at)
                        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                event.priceId(), tenantId, provider, model, java.sql.Timestamp.from(effectiveFrom),
                pricing.inputPerMillion(), pricing.outputPerMillion(), pricing.cacheReadPerMillion(),
                pricing.cacheWritePerMillion(), by, java.sql.Timestamp.from(now));
        outbox.publish(event.eventId(), Topics.ADMIN_MODEL_PRICES, event.priceId().toString(), ModelPriced.TYPE,
                event);
        return event;
    }

    private static boolean same(Pricing a, Pricing b) {
        return equal(a.inputPerMillion(), b.inputPerMillion()) && equal(a.outputPerMillion(), b.outputPerMillion())
                && equal(a.cacheReadPerMillion(), b.cacheReadPerMillion())
                && equal(a.cacheWritePerMillion(), b.cacheWritePerMillion());
    }

    private static boolean equal(BigDecimal a, BigDecimal b) {
        return a == null || b == null ? Objects.equals(a, b) : a.compareTo(b) == 0;
    }
}
