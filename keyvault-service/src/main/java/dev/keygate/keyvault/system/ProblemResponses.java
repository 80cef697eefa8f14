package dev.keygate.keyvault.system;

import java.io.IOException;
import java.net.URI;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/** Builds every RFC 9457 problem this service answers with, so all carry a type URI and the trace id. */
@Component
public class ProblemResponses {

    /** Problem type URIs; documented in docs/problems.md. */
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
            problem.setProperty("traceId", span.context().traceId());
        }
        return problem;
    }

    /** For filters that answer before any controller runs. */
    public void write(HttpServletResponse response, HttpStatus status, String title, String detail) throws IOException {
        String slug = status == HttpStatus.UNAUTHORIZED ? "client-identity-required" : "identity-not-allowed";
        response.setStatus(status.value());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.getOutputStream().write(json.writeValueAsBytes(problem(status, slug, title, detail)));
    }
}
