package dev.keygate.usage.budget;

import java.math.BigDecimal;

import dev.keygate.contracts.admin.v1.ProxyKeyIssued;
import dev.keygate.contracts.admin.v1.ProxyKeyRevoked;
import dev.keygate.contracts.admin.v1.QuotaPolicyChanged;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * The budgets usage-service holds, in {@code budget_limit}: the token and cost limits of quota policies (scopes
 * tenant, user, proxy-key and tier; request limits are the proxy's) and proxy keys' own monthly budgets. A tier
 * budget limits the whole tier's spend in the tenant (every license of the tier together), as the ledger counts it
 * in {@code budget_spend}. Every change replaces what the source said before, so replaying a compacted topic gives the
 * same rows.
 */
@Component
class BudgetLimits {

    static final String KEY_BUDGET = "proxy-key";
    static final String WHOLE_TENANT = "*";

    private final JdbcTemplate jdbc;

    BudgetLimits(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Transactional
    void apply(QuotaPolicyChanged policy) {
        String source = policy.policyId().toString();
        jdbc.update("delete from budget_limit where tenant_id = ? and source = ?", policy.tenantId(), source);
        if (policy.deleted()) {
            return;
        }
        String subject = policy.subject() == null ? WHOLE_TENANT : policy.subject();
        put(policy.tenantId(), policy.scope(), subject, source, "day", policy.costPerDayUsd(), policy.tokensPerDay(),
                policy.hard());
        put(policy.tenantId(), policy.scope(), subject, source, "month", policy.costPerMonthUsd(),
                policy.tokensPerMonth(), policy.hard());
    }

    @Transactional
    void apply(ProxyKeyIssued key) {
        String subject = key.keyId().toString();
        jdbc.update("delete from budget_limit where tenant_id = ? and scope = 'proxy-key' and subject = ? and source = ?",
                key.tenantId(), subject, KEY_BUDGET);
        put(key.tenantId(), "proxy-key", subject, KEY_BUDGET, "month", key.limits().monthlyBudgetUsd(), null, true);
    }

    @Transactional
    void apply(ProxyKeyRevoked key) {
        jdbc.update("delete from budget_limit where tenant_id = ? and scope = 'proxy-key' and subject = ? and source = ?",
                key.tenantId(), key.keyId().toString(), KEY_BUDGET);
    }

    private void put(String tenantId, String scope, String subject, String source, String period, BigDecimal limitUsd,
                     Long limitTokens, boolean hard) {
        if (limitUsd == null && limitTokens == null) {
            return;
        }
        jdbc.update("""
                insert into budget_limit (tenant_id, scope, subject, source, period, limit_usd, limit_tokens, hard)
                values (?, ?, ?, ?, ?, ?, ?, ?)""", tenantId, scope, subject, source, period, limitUsd, limitTokens,
                hard);
    }
}
