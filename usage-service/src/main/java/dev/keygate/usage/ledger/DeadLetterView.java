package dev.keygate.usage.ledger;

import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/** The dead-lettered usage records admins may see (rows kept by the ingest side's dead-letter log). */
@Component
public class DeadLetterView {

    private static final String LIST = """
            select source_topic, source_partition, source_offset, tenant_id, reason, size_bytes, dead_at
            from dead_letter where tenant_id = ? or tenant_id is null
            order by dead_at desc limit ?
            """;

    private final JdbcTemplate jdbc;

    DeadLetterView(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * The tenant's dead letters and those of no known tenant, newest first. Why a record of no known tenant failed
     * is left out: the parser's message may quote its content, which may be another tenant's.
     */
    public List<Map<String, Object>> list(String tenantId, int limit) {
        return jdbc.query(LIST, (row, n) -> {
            String tenant = row.getString("tenant_id");
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("source_topic", row.getString("source_topic"));
            entry.put("source_partition", row.getObject("source_partition"));
            entry.put("source_offset", row.getObject("source_offset"));
            entry.put("tenant_id", tenant);
            entry.put("reason", tenant == null ? null : row.getString("reason"));
            entry.put("size_bytes", row.getInt("size_bytes"));
            entry.put("dead_at", row.getObject("dead_at", OffsetDateTime.class).toInstant());
            return entry;
        }, tenantId, limit);
    }
}
