package dev.keygate.admin.outbox;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Makes sure the logical replication slot exists before admin-service accepts a single request. From the moment it
 * exists PostgreSQL keeps every outbox insert in its log until the relay confirms it, so a change committed while
 * the relay is down, slow or not yet started (or while this instance is being killed) is relayed later, never lost.
 * Every instance ensures it, including instances that do not relay.
 */
class OutboxSlot implements InitializingBean {

    static final String PUBLICATION = "keygate_admin_outbox";
    private static final Logger log = LoggerFactory.getLogger(OutboxSlot.class);

    private final JdbcTemplate jdbc;
    private final String slotName;

    OutboxSlot(JdbcTemplate jdbc, String slotName) {
        this.jdbc = jdbc;
        this.slotName = slotName;
    }

    @Override
    public void afterPropertiesSet() {
        List<String> existing = jdbc.queryForList("select slot_name from pg_replication_slots where slot_name = ?",
                String.class, slotName);
        if (existing.isEmpty()) {
            try {
                jdbc.queryForList("select slot_name from pg_create_logical_replication_slot(?, 'pgoutput')",
                        String.class, slotName);
                log.info("Created logical replication slot {} for the outbox relay", slotName);
            }
            catch (org.springframework.dao.DataAccessException ex) {
                // Another instance created it at the same moment: fine, as long as it exists now.
                if (jdbc.queryForList("select slot_name from pg_replication_slots where slot_name = ?", String.class,
                        slotName).isEmpty()) {
                    throw ex;
                }
            }
        }
    }
}
