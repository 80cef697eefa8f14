package dev.keygate.keyvault.audit;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Records who did what to which secret, with the trace id that ties it to the proxied call. Successful changes are
 * recorded in the caller's transaction (the record exists exactly when the change does); refusals and failures are
 * recorded in a transaction of their own so the rollback they cause does not erase them. Never records key material.
 */
@Component
public class AuditTrail {

    private static final String INSERT = """
            insert into audit_event (occurred_at, action, outcome, caller, secret_id, tenant_id, owner_id, provider,
                                     trace_id, detail)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""";

    private final JdbcTemplate jdbc;
    private final TransactionTemplate independent;
    private final ObjectProvider<Tracer> tracer;

    AuditTrail(JdbcTemplate jdbc, PlatformTransactionManager transactions, ObjectProvider<Tracer> tracer) {
        this.jdbc = jdbc;
        this.independent = new TransactionTemplate(transactions);
        this.independent.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        this.tracer = tracer;
    }

    /** Records an action that succeeded, inside the transaction that performed it. */
    public void record(String action, String outcome, String caller, UUID secretId, String tenantId, String ownerId,
                       String provider, String detail) {
        insert(action, outcome, caller, secretId, tenantId, ownerId, provider, detail);
    }

    /** Records a refusal or failure so that it survives the rollback that follows. */
    public void recordIndependently(String action, String outcome, String caller, UUID secretId, String tenantId,
                                    String ownerId, String provider, String detail) {
        independent.executeWithoutResult(status ->
                insert(action, outcome, caller, secretId, tenantId, ownerId, provider, detail));
    }

    private void insert(String action, String outcome, String caller, UUID secretId, String tenantId, String ownerId,
                        String provider, String detail) {
        jdbc.update(INSERT, Timestamp.from(Instant.now()), action, outcome, truncate(caller, 255), secretId,
                truncate(tenantId, 64), truncate(ownerId, 255), truncate(provider, 64), traceId(),
                truncate(detail, 255));
    }

    private String traceId() {
        Tracer current = tracer.getIfAvailable();
        Span span = current == null ? null : current.currentSpan();
        return span == null ? null : span.context().traceId();
    }

    private static String truncate(String value, int max) {
        return value == null || value.length() <= max ? value : value.substring(0, max);
    }
}
