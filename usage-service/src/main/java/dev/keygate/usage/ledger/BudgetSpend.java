package dev.keygate.usage.ledger;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import dev.keygate.contracts.usage.v1.UsageRecorded;

/**
 * What newly recorded events add to one row of {@code budget_spend}: the whole tenant's or a license tier's cost and
 * tokens in one UTC day or month. A tier's row counts every call of that tier in the tenant together, whichever
 * license made it. A user's and a proxy key's spend are not kept here (V12): budgets read them from
 * {@code usage_user_daily} and {@code usage_key_daily}, which hold the same sums per day. Rows come in primary-key
 * order so concurrent ledger transactions cannot deadlock on them.
 */
record BudgetSpend(String tenantId, String scope, String subject, String period, Instant periodStart,
                   BigDecimal cost, long tokens) {

    static final String WHOLE_TENANT = "*";

    private static final Comparator<BudgetSpend> ORDER = Comparator.comparing(BudgetSpend::tenantId)
            .thenComparing(BudgetSpend::scope).thenComparing(BudgetSpend::subject).thenComparing(BudgetSpend::period)
            .thenComparing(BudgetSpend::periodStart);

    static List<BudgetSpend> of(Collection<UsageRecorded> events, Map<UUID, BigDecimal> costs) {
        Map<BudgetSpend, BudgetSpend> rows = new TreeMap<>(ORDER);
        for (UsageRecorded event : events) {
            BigDecimal cost = costs.getOrDefault(event.eventId(), BigDecimal.ZERO);
            long tokens = event.usage().totalTokens();
            if (cost.signum() == 0 && tokens == 0) {
                continue;
            }
            for (String period : List.of("day", "month")) {
                Instant start = startOf(event.occurredAt(), period);
                add(rows, new BudgetSpend(event.tenantId(), "tenant", WHOLE_TENANT, period, start, cost, tokens));
                if (event.tier() != null) {
                    add(rows, new BudgetSpend(event.tenantId(), "tier", event.tier(), period, start, cost, tokens));
                }
            }
        }
        return List.copyOf(rows.values());
    }

    /** The start of the UTC day or month {@code at} falls in. */
    static Instant startOf(Instant at, String period) {
        LocalDate day = at.atOffset(ZoneOffset.UTC).toLocalDate();
        return ("month".equals(period) ? day.withDayOfMonth(1) : day).atStartOfDay().toInstant(ZoneOffset.UTC);
    }

    /** The end of the UTC day or month starting at {@code start}. */
    static Instant endOf(Instant start, String period) {
        LocalDate day = start.atOffset(ZoneOffset.UTC).toLocalDate();
        return ("month".equals(period) ? day.plusMonths(1) : day.plusDays(1)).atStartOfDay()
                .toInstant(ZoneOffset.UTC);
    }

    private static void add(Map<BudgetSpend, BudgetSpend> rows, BudgetSpend row) {
        rows.merge(row, row, (a, b) -> new BudgetSpend(a.tenantId, a.scope, a.subject, a.period, a.periodStart,
                a.cost.add(b.cost), Math.addExact(a.tokens, b.tokens)));
    }
}
