package dev.keygate.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fills usage-service's ledger with synthetic events by bulk SQL (not through Kafka), then builds every aggregate the
 * ledger maintains per event with the equivalent set-based SQL: {@code budget_spend} as {@code BudgetSpend},
 * {@code usage_rollup_hourly} with the V3 migration's own backfill statements, the daily tables from those with V10's
 * and {@code usage_model_hourly} with V11's, read from the migration files; the latency histograms in V13's shape
 * (one array of bucket counts each) with statements of its own.
 *
 * <p>The spread: 90 days up to now; 3,000 proxy keys picked with a skew (a few keys make most calls), each key
 * belonging to one of 1,000 users and running in one region; a user belongs to one of four tenants (acme about
 * half); each key mostly calls its own model (75 %) and otherwise any of 12; ~2 % errors without tokens; 40 %
 * streamed with a time to first byte; log-normal tokens and latencies; cache reads on a third of the calls, cache
 * writes on Anthropic; costs with the price list's formula, one model left unpriced.
 */
record LedgerLoad(long events, double eventSeconds, double aggregateSeconds, String spread) {

    static final String SPREAD = "4 tenants, 1,000 users, 3,000 proxy keys, 4 providers, 12 models (one unpriced), "
            + "2 regions, ~2 % errors, 40 % streamed";

    /** USD per million tokens: input, output, cache read, cache write; null cache prices fall back to input. */
    private static final String PRICES = """
            insert into model_price (id, tenant_id, provider, model, effective_from, input_per_million,
                output_per_million, cache_read_per_million, cache_write_per_million)
            select gen_random_uuid(), null, provider, model, now() - interval '400 days', i, o, cr, cw
            from (values ('openai', 'gpt-4o', 2.5, 10, 1.25, null), ('openai', 'gpt-4o-mini', 0.15, 0.6, 0.075, null),
                         ('openai', 'gpt-4.1', 2, 8, 0.5, null), ('openai', 'o3-mini', 1.1, 4.4, 0.55, null),
                         ('anthropic', 'claude-sonnet-4', 3, 15, 0.3, 3.75),
                         ('anthropic', 'claude-3-5-haiku-latest', 0.8, 4, 0.08, 1),
                         ('anthropic', 'claude-opus-4', 15, 75, 1.5, 18.75),
                         ('gemini', 'gemini-2.0-flash', 0.1, 0.4, 0.025, null),
                         ('gemini', 'gemini-2.5-pro', 1.25, 10, 0.31, null),
                         ('gemini', 'gemini-1.5-flash', 0.075, 0.3, null, null),
                         ('mistral', 'mistral-large-latest', 2, 6, null, null)) p(provider, model, i, o, cr, cw)
            """;

    private static final String KEYS_AND_MODELS = """
            create temporary table bench_model as
            select m - 1 as m, provider, model from unnest(array['openai', 'openai', 'openai', 'openai', 'anthropic',
                'anthropic', 'anthropic', 'gemini', 'gemini', 'gemini', 'mistral', 'mistral'],
                array['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'o3-mini', 'claude-sonnet-4', 'claude-3-5-haiku-latest',
                'claude-opus-4', 'gemini-2.0-flash', 'gemini-2.5-pro', 'gemini-1.5-flash', 'mistral-large-latest',
                'mistral-small-latest']) with ordinality as t(provider, model, m);
            create temporary table bench_key as
            select k, (array['acme', 'acme', 'acme', 'acme', 'acme', 'globex', 'globex', 'globex', 'initech',
                       'umbrella'])[(k / 3) % 10 + 1] as tenant_id,
                   'user-' || (k / 3) as user_id, 'pk_' || lpad(k::text, 5, '0') as proxy_key_id,
                   case when k % 5 < 3 then 'eu-west' else 'us-east' end as region, (k * 7) % 12 as main_model
            from generate_series(0, 2999) k;
            """;

    /** Events {@code ? <= i < ?}; every random draw happens once per event in the innermost select. */
    private static final String EVENTS = """
            insert into usage_event (event_id, occurred_at, region, tenant_id, user_id, caller_type, proxy_key_id,
                provider, model, operation, streamed, status, input_tokens, output_tokens, cache_read_tokens,
                cache_write_tokens, reasoning_tokens, latency_ms, first_byte_ms, trace_id, cost_usd, received_at)
            select gen_random_uuid(), t.at, t.region, t.tenant_id, t.user_id, 'proxy_key', t.proxy_key_id, t.provider,
                t.model, 'chat.completions', t.streamed, t.status, t.input, t.output, t.cache_read, t.cache_write,
                t.reasoning, t.latency, t.first_byte, null,
                (greatest(t.input - t.cache_read - t.cache_write, 0) * p.input_per_million
                    + t.cache_read * coalesce(p.cache_read_per_million, p.input_per_million)
                    + t.cache_write * coalesce(p.cache_write_per_million, p.input_per_million)
                    + t.output * p.output_per_million) / 1000000,
                t.at + interval '2 seconds'
            from (select e.at, k.region, k.tenant_id, k.user_id, k.proxy_key_id, m.provider, m.model, e.streamed,
                         e.status, e.input, e.output,
                         case when m.provider in ('openai', 'anthropic', 'gemini') and e.r_cache < 0.35
                              then floor(e.input * e.cache_share)::bigint else 0 end as cache_read,
                         case when m.provider = 'anthropic' and e.r_cache > 0.9
                              then floor(e.input * (1 - e.cache_share) * 0.5)::bigint else 0 end as cache_write,
                         case when m.model = 'o3-mini' then floor(e.output * 0.6)::bigint else 0 end as reasoning,
                         e.latency, e.first_byte
                  from (select now() - random() * interval '90 days' as at,
                               floor(3000 * power(random(), 2))::int as k,
                               case when random() < 0.75 then null else floor(random() * 12)::int end as any_model,
                               random() < 0.4 as streamed, s.status,
                               case when s.status >= 400 then 0
                                    else least(200000, greatest(1, exp(ln(1500) + 1.1 * z1)))::bigint end as input,
                               case when s.status >= 400 then 0
                                    else least(16000, greatest(1, exp(ln(350) + 0.9 * z2)))::bigint end as output,
                               random() as r_cache, 0.3 + 0.6 * random() as cache_share,
                               greatest(1, exp(ln(case when s.status >= 400 then 250 else 1400 end) + 0.7 * z3))::bigint
                                   as latency,
                               greatest(1, exp(ln(380) + 0.5 * z4))::bigint as first_byte
                        from generate_series(?::bigint, ?::bigint - 1) i,
                             lateral (select case when r < 0.008 then 429 when r < 0.014 then 500 when r < 0.017 then 502
                                                  when r < 0.02 then 400 else 200 end as status
                                      from (select random() + 0 * i as r) x) s,
                             lateral (select sqrt(-2 * ln(1 - random() + 0 * i)) * cos(2 * pi() * random()) as z1,
                                             sqrt(-2 * ln(1 - random() + 0 * i)) * cos(2 * pi() * random()) as z2,
                                             sqrt(-2 * ln(1 - random() + 0 * i)) * cos(2 * pi() * random()) as z3,
                                             sqrt(-2 * ln(1 - random() + 0 * i)) * cos(2 * pi() * random()) as z4) z
                       ) e
                  join bench_key k on k.k = e.k
                  join bench_model m on m.m = coalesce(e.any_model, k.main_model)) t
            left join model_price p on p.provider = t.provider and p.model = t.model and p.tenant_id is null
            """;

    /**
     * As {@code BudgetSpend}: per UTC day or month, for the tenant ('*') and the license tier (users' and keys'
     * spend are their daily rows, V12); an event without cost and without tokens adds nothing.
     */
    private static final String SPEND = """
            insert into budget_spend (tenant_id, scope, subject, period, period_start, cost_usd, tokens)
            select e.tenant_id, s.scope, s.subject, '%1$s', date_trunc('%1$s', e.occurred_at, 'UTC'), sum(coalesce(e.cost_usd, 0)),
                sum(e.input_tokens + e.output_tokens)
            from usage_event e,
                 lateral (values ('tenant', '*'), ('tier', e.tier)) s(scope, subject)
            where s.subject is not null and (coalesce(e.cost_usd, 0) <> 0 or e.input_tokens + e.output_tokens <> 0)
            group by 1, 2, 3, 5
            """;

    /** Budgets the overview shows: each tenant's monthly cost and daily token limits, some users' and keys'. */
    private static final String LIMITS = """
            insert into budget_limit (tenant_id, scope, subject, source, period, limit_usd, limit_tokens, hard)
            select tenant_id, 'tenant', '*', 'bench-policy', 'month', 50000::numeric, null::bigint, true
            from (select distinct tenant_id from bench_key) t
            union all
            select tenant_id, 'tenant', '*', 'bench-policy', 'day', null::numeric, 500000000::bigint, false
            from (select distinct tenant_id from bench_key) t
            union all
            select tenant_id, 'user', user_id, 'bench-policy', 'month', 500::numeric, null::bigint, false
            from bench_key where k % 30 = 0
            union all
            select tenant_id, 'proxy-key', proxy_key_id, 'proxy-key', 'month', 200::numeric, null::bigint, true
            from bench_key where k % 20 = 0
            """;

    /**
     * The hourly latency histograms in V13's shape, from the events: the ledger's buckets (V3's formula) counted per
     * hour, provider, model and metric into one array each with V13's {@code usage_histogram}.
     */
    private static final String LATENCY_HOURLY = """
            insert into usage_latency_hourly (tenant_id, hour, provider, model, metric, counts)
            select tenant_id, hour, provider, model, metric, usage_histogram(bucket, requests)
            from (select tenant_id, date_trunc('hour', occurred_at, 'UTC') as hour, provider, coalesce(model, '') as model,
                      metric, case when ms <= 0 then 0 else 1 + ceil(ln(ms::double precision) / ln(1.05))::integer end
                          as bucket, count(*) as requests
                  from (select tenant_id, occurred_at, provider, model, 'latency' as metric, latency_ms as ms
                        from usage_event
                        union all
                        select tenant_id, occurred_at, provider, model, 'first_byte', first_byte_ms from usage_event
                        where first_byte_ms is not null) m
                  group by 1, 2, 3, 4, 5, 6) b
            group by 1, 2, 3, 4, 5
            """;

    /** The daily latency histograms from the hourly ones. */
    private static final String LATENCY_DAILY = """
            insert into usage_latency_daily (tenant_id, day, provider, model, metric, counts)
            select tenant_id, day, provider, model, metric, usage_histogram(bucket, requests)
            from (select tenant_id, date_trunc('day', hour, 'UTC') as day, provider, model, metric,
                      (b.i - 1)::integer as bucket, sum(b.requests)::bigint as requests
                  from usage_latency_hourly cross join lateral unnest(counts) with ordinality as b(requests, i)
                  where b.requests > 0
                  group by 1, 2, 3, 4, 5, 6) d
            group by 1, 2, 3, 4, 5
            """;

    /** Where the V3 migration rolls up the events already in the ledger; run here as it is written there. */
    private static final String BACKFILL_MARKER = "-- Events already in the ledger are rolled up once here.";

    /** Where the V10 migration sums the hourly tables per day; run here, after V3's, as it is written there. */
    private static final String DAILY_MARKER = "-- Aggregates already in the ledger are summed per day once here";

    /** Where the V11 migration sums the hourly rollup per model and hour; run here, after V3's. */
    private static final String MODEL_HOURLY_MARKER = "-- Aggregates already in the ledger are summed per model and hour";

    private static List<String> backfill(Path migration, String marker) throws IOException {
        String sql = Files.readString(migration);
        if (!sql.contains(marker)) {
            throw new IllegalStateException(migration.getFileName() + " no longer has its backfill after '" + marker
                    + "'; update the benchmark's aggregate build.");
        }
        return Arrays.stream(sql.substring(sql.indexOf(marker)).split(";"))
                .map(String::strip).filter(statement -> statement.contains("insert into")).toList();
    }

    static LedgerLoad run(Connection db, long events, int chunk, Path migrations) throws SQLException, IOException {
        List<String> backfill = new ArrayList<>(backfill(migrations.resolve("V3__analytics.sql"), BACKFILL_MARKER));
        backfill.addAll(backfill(migrations.resolve("V10__daily_aggregates.sql"), DAILY_MARKER));
        backfill.addAll(backfill(migrations.resolve("V11__model_hourly.sql"), MODEL_HOURLY_MARKER));
        // V3's and V10's histograms have one row per bucket; V13 keeps one array per histogram, built here instead.
        backfill.removeIf(statement -> statement.contains("insert into usage_latency_"));
        backfill.add(LATENCY_HOURLY);
        backfill.add(LATENCY_DAILY);
        boolean autoCommit = db.getAutoCommit();
        db.setAutoCommit(true);
        try (Statement statement = db.createStatement()) {
            statement.execute(PRICES);
            statement.execute(KEYS_AND_MODELS);
            statement.execute(LIMITS);
        }
        long started = System.nanoTime();
        try (PreparedStatement insert = db.prepareStatement(EVENTS)) {
            for (long from = 0; from < events; from += chunk) {
                insert.setLong(1, from);
                insert.setLong(2, Math.min(events, from + chunk));
                insert.executeUpdate();
                System.out.printf("%,d of %,d events loaded after %.0f s%n", Math.min(events, from + chunk), events,
                        (System.nanoTime() - started) / 1e9);
            }
        }
        double eventSeconds = (System.nanoTime() - started) / 1e9;
        started = System.nanoTime();
        try (Statement statement = db.createStatement()) {
            for (String sql : backfill) {
                statement.execute(sql);
            }
        }
        for (String period : new String[] {"day", "month"}) {
            try (Statement spend = db.createStatement()) {
                spend.execute(SPEND.formatted(period));
            }
        }
        try (Statement statement = db.createStatement()) {
            statement.execute("vacuum analyze");
        }
        double aggregateSeconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("aggregates built in %.0f s%n", aggregateSeconds);
        db.setAutoCommit(autoCommit);
        return new LedgerLoad(events, eventSeconds, aggregateSeconds, SPREAD);
    }
}
