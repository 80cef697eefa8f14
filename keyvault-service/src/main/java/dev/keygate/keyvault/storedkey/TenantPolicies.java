package dev.keygate.keyvault.storedkey;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;

import dev.keygate.contracts.keyvault.v1.TenantKeyPolicy;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/** The per-tenant resolution policy; a tenant without a row allows both user and organisation keys. */
@Component
class TenantPolicies {

    private final JdbcTemplate jdbc;

    TenantPolicies(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    TenantKeyPolicy of(String tenantId) {
        List<TenantKeyPolicy> found = jdbc.query("select allow_user_keys, allow_organisation_keys from "
                        + "tenant_key_policy where tenant_id = ?",
                (row, i) -> new TenantKeyPolicy(row.getBoolean(1), row.getBoolean(2)), tenantId);
        return found.isEmpty() ? TenantKeyPolicy.DEFAULT : found.get(0);
    }

    void set(String tenantId, TenantKeyPolicy policy) {
        jdbc.update("""
                insert into tenant_key_policy (tenant_id, allow_user_keys, allow_organisation_keys, updated_at)
                values (?, ?, ?, ?)
                on conflict (tenant_id) do update set allow_user_keys = excluded.allow_user_keys,
                    allow_organisation_keys = excluded.allow_organisation_keys, updated_at = excluded.updated_at""",
                tenantId, policy.allowUserKeys(), policy.allowOrganisationKeys(), Timestamp.from(Instant.now()));
    }
}
