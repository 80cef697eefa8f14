package dev.keygate.admin.audit;

import java.time.Instant;
import java.util.List;

import dev.keygate.admin.system.Caller;
import dev.keygate.admin.system.InvalidRequestException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** The admin audit log of the caller's tenant, newest first; platform admins only. */
@RestController
class AuditController {

    private final JdbcTemplate jdbc;

    AuditController(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @GetMapping("/api/v1/audit")
    List<AdminAction> audit(@AuthenticationPrincipal Jwt token, @RequestParam(defaultValue = "100") int limit) {
        if (limit < 1 || limit > 1000) {
            throw new InvalidRequestException("limit must be between 1 and 1000.");
        }
        return jdbc.query("""
                        select occurred_at, actor_id, actor_name, method, path, status, remote_addr, trace_id
                        from admin_audit where tenant_id = ? order by occurred_at desc, id desc limit ?""",
                (row, i) -> new AdminAction(row.getTimestamp(1).toInstant(), row.getString(2), row.getString(3),
                        row.getString(4), row.getString(5), row.getInt(6), row.getString(7), row.getString(8)),
                Caller.from(token).tenantId(), limit);
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record AdminAction(Instant occurredAt, String actorId, String actorName, String method, String path, int status,
                       String remoteAddr, String traceId) {
    }
}
