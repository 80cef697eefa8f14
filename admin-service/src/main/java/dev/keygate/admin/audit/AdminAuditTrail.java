package dev.keygate.admin.audit;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.Set;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.HandlerInterceptor;

/**
 * Records every change attempted through the admin API (POST, PUT, PATCH, DELETE), allowed or refused, after it
 * completed: the signed-in actor, their tenant, method and path, the status answered, the client address and the
 * trace id. Request bodies are never recorded (they can hold keys).
 */
@Component
class AdminAuditTrail implements HandlerInterceptor {

    private static final Logger log = LoggerFactory.getLogger(AdminAuditTrail.class);
    private static final Set<String> CHANGES = Set.of("POST", "PUT", "PATCH", "DELETE");

    private final JdbcTemplate jdbc;
    private final ObjectProvider<Tracer> tracer;

    AdminAuditTrail(JdbcTemplate jdbc, ObjectProvider<Tracer> tracer) {
        this.jdbc = jdbc;
        this.tracer = tracer;
    }

    @Override
    public void afterCompletion(HttpServletRequest request, HttpServletResponse response, Object handler,
                                Exception ex) {
        if (!CHANGES.contains(request.getMethod())) {
            return;
        }
        Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
        String tenant = null;
        String actorId = null;
        String actorName = null;
        if (authentication instanceof JwtAuthenticationToken jwt) {
            tenant = jwt.getToken().getClaimAsString("tenant_id");
            actorId = jwt.getToken().getSubject();
            actorName = jwt.getToken().getClaimAsString("preferred_username");
        }
        try {
            jdbc.update("""
                    insert into admin_audit (occurred_at, tenant_id, actor_id, actor_name, method, path, status,
                                             remote_addr, trace_id)
                    values (?, ?, ?, ?, ?, ?, ?, ?, ?)""", Timestamp.from(Instant.now()), tenant, actorId, actorName,
                    request.getMethod(), truncate(request.getRequestURI(), 512), response.getStatus(),
                    truncate(request.getRemoteAddr(), 64), traceId());
        }
        catch (RuntimeException failure) {
            log.error("Could not record the admin action {} {} ({})", request.getMethod(), request.getRequestURI(),
                    response.getStatus(), failure);
        }
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
