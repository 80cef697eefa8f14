package dev.keygate.usage.budget;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.keygate.contracts.usage.v1.BudgetShareGranted;
import dev.keygate.contracts.usage.v1.BudgetShareRequested;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * Decides budget shares. What a hard budget still has for new shares, in tokens, is its limit less the period's
 * recorded spend less every share still outstanding: a share held by a proxy counts whole less what the ledger
 * already recorded under it; a share given back counts what its proxy metered less what the ledger recorded (the
 * calls' events may still be on their way); a share its proxy never gave back stops counting {@code settleGrace}
 * after it expired. A cost budget is turned into tokens at the tenant's dearest price per token, so no mix of models
 * can cost more than the tokens granted. A share is the call's worst case or, if larger, the configured share size
 * capped at a fraction of what is left. The budget's row is locked while deciding, so two usage-service instances
 * (or two requests) cannot grant the same remainder twice.
 */
@Component
class BudgetShareGrants {

    private static final BigDecimal PER_MILLION = BigDecimal.valueOf(1_000_000);

    private static final String LOCK_LIMIT = """
            select limit_usd, limit_tokens, hard from budget_limit
            where tenant_id = ? and scope = ? and subject = ? and source = ? and period = ? for update
            """;

    private static final String SPEND = """
            select spent.spent_usd as cost_usd, spent.spent_tokens as tokens
            from (select ?::text as tenant_id, ?::text as scope, ?::text as subject, ?::text as period) l
            cross join (select ?::timestamptz as start_at, ?::timestamptz as end_at) p
            %s
            """.formatted(SubjectSpend.OF_BUDGET);

    private static final String OUTSTANDING = """
            select coalesce(sum(greatest(0, coalesce(settled_tokens, tokens) - used_tokens)), 0) as tokens,
                   coalesce(sum(greatest(0, coalesce(settled_tokens, tokens) - used_tokens) * usd_per_token), 0) as usd
            from budget_grant
            where budget_key = ? and period_start = ? and (settled_tokens is not null or expires_at > ?)
            """;

    /** The dearest price per token any model of the tenant ever had: a bound on what one token can cost. */
    private static final String DEAREST = """
            select coalesce(max(greatest(input_per_million, output_per_million, coalesce(cache_read_per_million, 0),
                   coalesce(cache_write_per_million, 0))), 0)
            from model_price where tenant_id is null or tenant_id = ?
            """;

    private static final String INSERT = """
            insert into budget_grant (grant_id, tenant_id, budget_key, period_start, instance_id, region, tokens,
                usd_per_token, granted_at, expires_at)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """;

    private static final String SETTLE = """
            update budget_grant set settled_tokens = ? where grant_id = ? and instance_id = ? and settled_tokens is null
            """;

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final long shareTokens;
    private final double shareFraction;
    private final Duration shareLifetime;
    private final Duration settleGrace;

    BudgetShareGrants(JdbcTemplate jdbc, @Value("${keygate.usage.budgets.share-tokens:20000}") long shareTokens,
                      @Value("${keygate.usage.budgets.share-fraction:0.25}") double shareFraction,
                      @Value("${keygate.usage.budgets.share-lifetime:30s}") Duration shareLifetime,
                      @Value("${keygate.usage.budgets.settle-grace:10m}") Duration settleGrace) {
        this.jdbc = jdbc;
        this.clock = Clock.systemUTC();
        this.shareTokens = shareTokens;
        this.shareFraction = shareFraction;
        this.shareLifetime = shareLifetime;
        this.settleGrace = settleGrace;
    }

    /** Answers a request: a share of at least the tokens asked for, or a refusal when the budget cannot cover them. */
    @Transactional
    public BudgetShareGranted answer(BudgetShareRequested request) {
        Instant now = clock.instant();
        BudgetKey budget = BudgetKey.parse(request.budgetKey());
        if (budget == null || !budget.tenantId().equals(request.tenantId())) {
            return refusal(request, now, 0, "Unknown budget '" + request.budgetKey() + "'.");
        }
        List<Map<String, Object>> limit = jdbc.queryForList(LOCK_LIMIT, budget.tenantId(), budget.scope(),
                budget.subject(), budget.source(), budget.period());
        Instant periodStart = BudgetKey.periodStart(now, budget.period());
        if (limit.isEmpty() || !Boolean.TRUE.equals(limit.get(0).get("hard"))
                || !periodStart.equals(request.periodStart())) {
            // No hard budget (any more), or a period that is over: nothing to hold back. The proxy sees the new
            // period's state within a second; until then a share of what it asked for keeps it going.
            return grant(request, budget, now, Math.max(request.tokens(), shareTokens), Long.MAX_VALUE,
                    BigDecimal.ZERO);
        }
        BigDecimal limitUsd = (BigDecimal) limit.get(0).get("limit_usd");
        Number limitTokens = (Number) limit.get(0).get("limit_tokens");
        List<Map<String, Object>> spend = jdbc.queryForList(SPEND, budget.tenantId(), budget.scope(),
                budget.subject(), budget.period(), periodStart.atOffset(ZoneOffset.UTC),
                BudgetKey.periodEnd(periodStart, budget.period()).atOffset(ZoneOffset.UTC));
        BigDecimal spentUsd = spend.isEmpty() ? BigDecimal.ZERO : (BigDecimal) spend.get(0).get("cost_usd");
        long spentTokens = spend.isEmpty() ? 0 : ((Number) spend.get(0).get("tokens")).longValue();
        Map<String, Object> outstanding = jdbc.queryForMap(OUTSTANDING, request.budgetKey(),
                periodStart.atOffset(ZoneOffset.UTC), now.minus(settleGrace).atOffset(ZoneOffset.UTC));
        long outstandingTokens = ((Number) outstanding.get("tokens")).longValue();
        BigDecimal outstandingUsd = (BigDecimal) outstanding.get("usd");
        BigDecimal usdPerToken = jdbc.queryForObject(DEAREST, BigDecimal.class, budget.tenantId())
                .divide(PER_MILLION, 18, RoundingMode.UP);

        long available = Long.MAX_VALUE;
        if (limitTokens != null) {
            available = Math.min(available, limitTokens.longValue() - spentTokens - outstandingTokens);
        }
        if (limitUsd != null && usdPerToken.signum() > 0) {
            BigDecimal left = limitUsd.subtract(spentUsd).subtract(outstandingUsd);
            available = Math.min(available, left.signum() <= 0 ? 0
                    : left.divide(usdPerToken, 0, RoundingMode.DOWN).min(BigDecimal.valueOf(Long.MAX_VALUE)).longValue());
        }
        available = Math.max(0, available);
        if (available < request.tokens() || available == 0) {
            return refusal(request, now, available, available == 0 ? "The budget is spent or held by calls in flight."
                    : "Only " + available + " tokens of the budget are left; the call may need " + request.tokens() + ".");
        }
        // At least the call's worst case; otherwise the share size, but never more than a fraction of what is left,
        // so that other instances find some of the budget too.
        long slice = Math.min(shareTokens, (long) Math.floor(available * shareFraction));
        long granted = Math.min(available, Math.max(request.tokens(), slice));
        return grant(request, budget, now, granted, available - granted, usdPerToken);
    }

    /** Takes back a share the proxy gave up: from now on it counts only its metered tokens not yet in the ledger. */
    @Transactional
    public void release(BudgetShareRequested release) {
        jdbc.update(SETTLE, release.tokens(), release.grantId(), release.instanceId());
    }

    private BudgetShareGranted grant(BudgetShareRequested request, BudgetKey budget, Instant now, long tokens,
                                     long remaining, BigDecimal usdPerToken) {
        UUID grantId = UUID.randomUUID();
        Instant expires = now.plus(shareLifetime);
        jdbc.update(INSERT, grantId, budget.tenantId(), request.budgetKey(),
                request.periodStart().atOffset(ZoneOffset.UTC), request.instanceId(), request.region(), tokens,
                usdPerToken, now.atOffset(ZoneOffset.UTC), expires.atOffset(ZoneOffset.UTC));
        return new BudgetShareGranted(UUID.randomUUID(), null, 0, now, request.instanceId(), request.eventId(),
                request.budgetKey(), request.periodStart(), grantId, tokens, remaining, expires, null);
    }

    private static BudgetShareGranted refusal(BudgetShareRequested request, Instant now, long remaining,
                                              String reason) {
        return new BudgetShareGranted(UUID.randomUUID(), null, 0, now, request.instanceId(), request.eventId(),
                request.budgetKey(), request.periodStart(), null, 0, remaining, null, reason);
    }

    /** {@code BudgetState.key()}: {@code tenant/scope/subject/source/period}, subject {@code *} for a tenant. */
    record BudgetKey(String tenantId, String scope, String subject, String source, String period) {

        static BudgetKey parse(String key) {
            String[] parts = key.split("/", -1);
            if (parts.length != 5 || !List.of("day", "month").contains(parts[4])) {
                return null;
            }
            return new BudgetKey(parts[0], parts[1], parts[2], parts[3], parts[4]);
        }

        static Instant periodStart(Instant now, String period) {
            var day = now.atOffset(ZoneOffset.UTC).toLocalDate();
            return ("month".equals(period) ? day.withDayOfMonth(1) : day).atStartOfDay().toInstant(ZoneOffset.UTC);
        }

        static Instant periodEnd(Instant start, String period) {
            var day = start.atOffset(ZoneOffset.UTC).toLocalDate();
            return ("month".equals(period) ? day.plusMonths(1) : day.plusDays(1)).atStartOfDay()
                    .toInstant(ZoneOffset.UTC);
        }
    }
}
