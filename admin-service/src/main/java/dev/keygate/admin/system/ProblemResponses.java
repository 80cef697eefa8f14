package dev.keygate.admin.system;

import java.io.IOException;
import java.net.URI;

import dev.keygate.oidc.TokenRefusal;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/** Builds every RFC 9457 problem this service answers with: typed, titled, with the trace id. */
@Component
public class ProblemResponses {

    public static final String TYPE_BASE = "https://keygate.dev/problems/";

    private final ObjectProvider<Tracer> tracer;
    private final JsonMapper json;

    ProblemResponses(ObjectProvider<Tracer> tracer, JsonMapper json) {
        this.tracer = tracer;
        this.json = json;
    }

    public ProblemDetail problem(HttpStatus status, String slug, String title, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create(TYPE_BASE + slug));
        problem.setTitle(title);
        Tracer current = tracer.getIfAvailable();
        Span span = current == null ? null : current.currentSpan();
        if (span != null) {
            problem.setProperty("trace_id", span.context().traceId());
        }
        return problem;
    }

    /** 401 for a missing or refused token, 503 when Keycloak could not be reached to check it ({@link TokenRefusal}). */
    void unauthorized(HttpServletRequest request, HttpServletResponse response, AuthenticationException ex)
            throws IOException {
        TokenRefusal refusal = TokenRefusal.of(ex);
        refusal.headers().forEach(response::setHeader);
        write(response, problem(refusal.status(), refusal.slug(), refusal.title(), refusal.detail()));
    }

    void forbidden(HttpServletRequest request, HttpServletResponse response, AccessDeniedException ex)
            throws IOException {
        write(response, problem(HttpStatus.FORBIDDEN, "forbidden", "Not allowed",
                "Your roles do not allow " + request.getMethod() + " " + request.getRequestURI() + "."));
    }

    private void write(HttpServletResponse response, ProblemDetail problem) throws IOException {
        response.setStatus(problem.getStatus());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.getOutputStream().write(json.writeValueAsBytes(problem));
    }
}
