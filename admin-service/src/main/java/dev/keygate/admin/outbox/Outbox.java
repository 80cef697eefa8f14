package dev.keygate.admin.outbox;

import java.util.UUID;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * Announces a change to other services by writing it to the outbox inside the transaction that made the change:
 * the event exists if and only if the change committed. The row is deleted in the same transaction; Debezium
 * relays the insert from the write-ahead log, so the table never grows.
 */
@Component
public class Outbox {

    private final JdbcTemplate jdbc;
    private final JsonMapper json;

    Outbox(JdbcTemplate jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /**
     * @param topic the Kafka topic the event goes to
     * @param key the record key (the aggregate whose order matters)
     * @param type the wire type, e.g. {@code proxy-key.issued}
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public void publish(UUID eventId, String topic, String key, String type, Object event) {
        jdbc.update("insert into outbox_event (id, aggregatetype, aggregateid, type, payload) values (?, ?, ?, ?, ?::jsonb)",
                eventId, topic, key, type, json.writeValueAsString(event));
        jdbc.update("delete from outbox_event where id = ?", eventId);
    }
}
