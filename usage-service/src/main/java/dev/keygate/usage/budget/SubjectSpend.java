package dev.keygate.usage.budget;

/**
 * What a budget has spent in a period, as SQL shared by the statements that enforce, grant and show budgets. The
 * ledger keeps the whole tenant's and each license tier's spend in {@code budget_spend}; a user's and a proxy key's
 * spend are their rows of {@code usage_user_daily} and {@code usage_key_daily} (V10: cost, and input plus output
 * tokens, per UTC day, which is what budgets count), summed over the period's days, so the ledger does not write the
 * same sums twice (V12).
 */
final class SubjectSpend {

    /**
     * A lateral join giving {@code spent_usd} and {@code spent_tokens} of the budget {@code l} (tenant_id, scope,
     * subject, period) over {@code [p.start_at, p.end_at)}, a day or a month; zero when nothing was spent.
     */
    static final String OF_BUDGET = """
            cross join lateral (
                select coalesce(sum(x.cost_usd), 0) as spent_usd, coalesce(sum(x.tokens), 0)::bigint as spent_tokens
                from (select s.cost_usd, s.tokens from budget_spend s
                      where s.tenant_id = l.tenant_id and s.scope = l.scope and s.subject = l.subject
                        and s.period = l.period and s.period_start = p.start_at
                      union all
                      select d.cost_usd, d.input_tokens + d.output_tokens from usage_user_daily d
                      where l.scope = 'user' and d.tenant_id = l.tenant_id and d.user_id = l.subject
                        and d.day >= p.start_at and d.day < p.end_at
                      union all
                      select d.cost_usd, d.input_tokens + d.output_tokens from usage_key_daily d
                      where l.scope = 'proxy-key' and d.tenant_id = l.tenant_id and d.proxy_key_id = l.subject
                        and d.day >= p.start_at and d.day < p.end_at) x
            ) spent""";

    /**
     * The current day and month as rows {@code p(period, start_at, end_at)}; parameters: the day's start and end,
     * the month's start and end.
     */
    static final String CURRENT_PERIODS = """
            (values ('day', ?::timestamptz, ?::timestamptz), ('month', ?::timestamptz, ?::timestamptz))
                p(period, start_at, end_at)""";

    private SubjectSpend() {
    }
}
