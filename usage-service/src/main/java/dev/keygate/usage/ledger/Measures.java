package dev.keygate.usage.ledger;

/**
 * The measures every usage aggregate keeps (requests, tokens, errors, cost, unpriced calls), as SQL fragments shared
 * by the statements that fill the hourly rollup and the daily tables, so each table adds up an event the same way.
 */
final class Measures {

    /** The measure columns, in table order. */
    static final String COLUMNS = """
            requests, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, errors, cost_usd, \
            unpriced_requests""";

    /** The measures of a group of {@code usage_event} rows (or of the rows an insert into it returned). */
    static final String OF_EVENTS = """
            count(*), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens), \
            count(*) filter (where status >= 400), coalesce(sum(cost_usd), 0), \
            count(*) filter (where cost_usd is null and input_tokens + output_tokens > 0)""";

    /** The upsert's update: adds the new rows' measures to the stored ones (the table aliased {@code r}). */
    static final String ADDED = """
            requests = r.requests + excluded.requests, input_tokens = r.input_tokens + excluded.input_tokens, \
            output_tokens = r.output_tokens + excluded.output_tokens, \
            cache_read_tokens = r.cache_read_tokens + excluded.cache_read_tokens, \
            cache_write_tokens = r.cache_write_tokens + excluded.cache_write_tokens, \
            errors = r.errors + excluded.errors, cost_usd = r.cost_usd + excluded.cost_usd, \
            unpriced_requests = r.unpriced_requests + excluded.unpriced_requests""";

    private Measures() {
    }
}
