package dev.keygate.keyvault.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import dev.keygate.contracts.keyvault.v1.AuditEntry;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The audit trail for admin-service's identity: filter by tenant, owner and secret so a user can see when their
 * own key was used. Newest first.
 */
@RestController
class AuditController {

    private static final int MAX_LIMIT = 1000;

    private final JdbcTemplate jdbc;

    AuditController(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @GetMapping("/v1/audit")
    List<AuditEntry> audit(@RequestParam String tenantId, @RequestParam(required = false) String ownerId,
                           @RequestParam(required = false) UUID secretId,
                           @RequestParam(defaultValue = "100") int limit) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT);
        }
        StringBuilder sql = new StringBuilder("select id, occurred_at, action, outcome, caller, secret_id, tenant_id, "
                + "owner_id, provider, trace_id, detail from audit_event where tenant_id = ?");
        List<Object> arguments = new ArrayList<>(List.of(tenantId));
        if (ownerId != null) {
            sql.append(" and owner_id = ?");
            arguments.add(ownerId);
        }
        if (secretId != null) {
            sql.append(" and secret_id = ?");
            arguments.add(secretId);
        }
        sql.append(" order by occurred_at desc, id desc limit ?");
        arguments.add(limit);
        return jdbc.query(sql.toString(), (row, i) -> new AuditEntry(row.getLong("id"),
                row.getTimestamp("occurred_at").toInstant(), row.getString("action"), row.getString("outcome"),
                row.getString("caller"), row.getObject("secret_id", UUID.class), row.getString("tenant_id"),
                row.getString("owner_id"), row.getString("provider"), row.getString("trace_id"),
                row.getString("detail")), arguments.toArray());
    }
}
