package dev.keygate.usage.ledger;

import java.sql.Timestamp;

import dev.keygate.contracts.admin.v1.ModelPriced;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The price versions usage-service knows, in its own database, and the one rule that picks a call's price. For a
 * call of tenant T to model M of provider P at instant t, the price is the version with
 * <ol>
 * <li>T's own version before a predefined one (a negotiated rate or a correction wins),</li>
 * <li>then M's own name, or the catalog name M is a dated snapshot of: {@code gpt-4o-mini-2024-07-18} and
 * {@code claude-3-haiku-20240307} are priced as {@code gpt-4o-mini} and {@code claude-3-haiku}, but
 * {@code gpt-4.1-nano} is not {@code gpt-4.1},</li>
 * <li>then the latest {@code effective_from} not after t (the price in force when the call happened).</li>
 * </ol>
 * Tokens are normalised by the proxy so that input includes cache reads and writes; the cost is
 * {@code (input - cacheRead - cacheWrite) × inputPrice + cacheRead × cacheReadPrice + cacheWrite × cacheWritePrice
 * + output × outputPrice}, per million, a cache price falling back to the input price when the provider has none.
 */
@Component
public class PriceList {

    /**
     * The cost expression for a {@code usage_event} row aliased {@code e}: null when no price version applies.
     * Shared by ingestion and re-rating so both price a call the same way.
     */
    public static final String COST_OF_EVENT = """
            (select (greatest(e.input_tokens - e.cache_read_tokens - e.cache_write_tokens, 0) * p.input_per_million
                    + e.cache_read_tokens * coalesce(p.cache_read_per_million, p.input_per_million)
                    + e.cache_write_tokens * coalesce(p.cache_write_per_million, p.input_per_million)
                    + e.output_tokens * p.output_per_million) / 1000000
             from model_price p
             where p.provider = e.provider
               and (p.tenant_id = e.tenant_id or p.tenant_id is null)
               and e.model is not null
               and (e.model = p.model or starts_with(e.model, p.model || '-')
                    and substr(e.model, length(p.model) + 2) ~ '^[0-9]{4}(-?[0-9]{2}){0,2}$')
               and p.effective_from <= e.occurred_at
             order by (p.tenant_id is not null) desc, length(p.model) desc, p.effective_from desc,
                 p.received_at desc
             limit 1)""";

    private final JdbcTemplate jdbc;

    PriceList(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Stores a price version; a redelivered one changes nothing. */
    public void add(ModelPriced price) {
        jdbc.update("""
                        insert into model_price (id, tenant_id, provider, model, effective_from, input_per_million,
                            output_per_million, cache_read_per_million, cache_write_per_million)
                        values (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        on conflict (id) do nothing""",
                price.priceId(), price.tenantId(), price.provider(), price.model(),
                Timestamp.from(price.effectiveFrom()), price.inputPerMillion(), price.outputPerMillion(),
                price.cacheReadPerMillion(), price.cacheWritePerMillion());
    }
}
