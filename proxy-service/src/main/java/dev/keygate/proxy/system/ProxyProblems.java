package dev.keygate.proxy.system;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import dev.keygate.proxy.clientauth.CallerRejectedException;
import dev.keygate.proxy.clientauth.IdentityProviderUnreachableException;
import io.micrometer.tracing.Tracer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.http.codec.HttpMessageWriter;
import org.springframework.web.reactive.function.server.HandlerStrategies;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.reactive.result.view.ViewResolver;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/** Writes every refusal of the proxy the same way: problem+json with the trace id and an SDK-readable error. */
@Component
public class ProxyProblems {

    public static final String TYPE_BASE = "https://keygate.dev/problems/";

    /** Seed 001's {@code error.type} and {@code error.code} for a refused call over a request limit. */
    public static final String RATE_LIMIT_EXCEEDED = "rate_limit_exceeded";

    private final ObjectProvider<Tracer> tracer;
    private volatile Tracer resolvedTracer;

    ProxyProblems(ObjectProvider<Tracer> tracer) {
        this.tracer = tracer;
    }

    public Mono<ServerResponse> respond(ProxyProblem problem) {
        return respond(problem, headers -> { });
    }

    /** As {@link #respond(ProxyProblem)}, with extra response headers such as {@code Retry-After}. */
    public Mono<ServerResponse> respond(ProxyProblem problem, Consumer<HttpHeaders> headers) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", problem.detail());
        error.put("type", problem.errorType());
        error.put("param", null);
        error.put("code", problem.errorCode());
        error.put("details", Map.of("error_code", problem.errorCode()));
        return write(problem, error, headers);
    }

    /**
     * 429 for a call over a request limit: the {@code error} member is exactly seed 001's
     * {@code {"message", "type": "rate_limit_exceeded", "code": "rate_limit_exceeded"}}, the problem's
     * {@code detail} adds what to do about it, and {@code Retry-After} says when to try again.
     */
    public Mono<ServerResponse> respondRateLimited(String message, String fix, long retryAfterSeconds) {
        ProxyProblem problem = new ProxyProblem(HttpStatus.TOO_MANY_REQUESTS, "rate-limit-exceeded",
                "Rate limit exceeded", message + " To continue: " + fix + ".", RATE_LIMIT_EXCEEDED,
                RATE_LIMIT_EXCEEDED);
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", message);
        error.put("type", RATE_LIMIT_EXCEEDED);
        error.put("code", RATE_LIMIT_EXCEEDED);
        return write(problem, error, headers -> headers.set(HttpHeaders.RETRY_AFTER, Long.toString(retryAfterSeconds)));
    }

    private Mono<ServerResponse> write(ProxyProblem problem, Map<String, Object> error, Consumer<HttpHeaders> headers) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", URI.create(TYPE_BASE + problem.slug()).toString());
        body.put("title", problem.title());
        body.put("status", problem.status().value());
        body.put("detail", problem.detail());
        body.put("error", error);
        return Mono.deferContextual(context -> {
            String traceId = traceId(context);
            if (traceId != null) {
                body.put("traceId", traceId);
            }
            return ServerResponse.status(problem.status())
                    .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                    .headers(ProxyProblems::securityHeaders)
                    .headers(headers)
                    .bodyValue(body);
        });
    }

    /**
     * Writes a problem straight to an exchange, for refusals made before any handler runs (security's firewall and
     * entry point), with the same body and headers as {@link #respond(ProxyProblem)}.
     */
    public Mono<Void> write(ServerWebExchange exchange, ProxyProblem problem) {
        return respond(problem).flatMap(response -> response.writeTo(exchange, WRITERS));
    }

    private static final ServerResponse.Context WRITERS = new ServerResponse.Context() {
        private final HandlerStrategies strategies = HandlerStrategies.withDefaults();

        @Override
        public List<HttpMessageWriter<?>> messageWriters() {
            return strategies.messageWriters();
        }

        @Override
        public List<ViewResolver> viewResolvers() {
            return List.of();
        }
    };

    /** The served exchange's trace id (its observation is in the Reactor context), else the current span's. */
    private String traceId(ContextView context) {
        String observed = TraceIds.of(context);
        if (observed != null) {
            return observed;
        }
        Tracer current = resolvedTracer;
        if (current == null) {
            current = tracer.getIfAvailable(() -> Tracer.NOOP);
            resolvedTracer = current;
        }
        return TraceIds.of(current.currentSpan());
    }

    /**
     * Headers on every answer the proxy writes itself (some are written before Spring Security's own header writer
     * runs): never cached, never sniffed as another type, never framed or scripted.
     */
    static void securityHeaders(HttpHeaders headers) {
        headers.setCacheControl(CacheControl.noStore());
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("X-Frame-Options", "DENY");
        headers.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
        headers.set("Referrer-Policy", "no-referrer");
    }

    /**
     * Like {@link #respond(ProxyProblem)}, in the terms of the provider the caller's SDK was written for: on
     * Anthropic routes {@code error.type} is Anthropic's ({@code authentication_error}, {@code permission_error},
     * {@code not_found_error}, {@code rate_limit_error}, {@code api_error}, ...) and {@code error.details.error_code}
     * carries Keygate's code, which is where the Anthropic SDKs read them from. The body stays problem+json, so its
     * top-level {@code type} is the problem type URI, not Anthropic's {@code "error"}.
     */
    public Mono<ServerResponse> respond(ProxyProblem problem, String providerId) {
        if (!"anthropic".equals(providerId)) {
            return respond(problem);
        }
        return respond(new ProxyProblem(problem.status(), problem.slug(), problem.title(), problem.detail(),
                anthropicErrorType(problem.status().value()), problem.errorCode()));
    }

    static String anthropicErrorType(int status) {
        switch (status) {
            case 401:
                return "authentication_error";
            case 403:
                return "permission_error";
            case 404:
                return "not_found_error";
            case 413:
                return "request_too_large";
            case 429:
                return "rate_limit_error";
            case 529:
                return "overloaded_error";
            default:
                return status >= 500 ? "api_error" : "invalid_request_error";
        }
    }

    public static ProxyProblem unauthenticated(String detail) {
        return new ProxyProblem(HttpStatus.UNAUTHORIZED, "unauthenticated", "Invalid credential", detail,
                "invalid_request_error", "invalid_api_key");
    }

    /** 401 for a credential that is wrong; 503 when a Keycloak token could not be checked (Keycloak unreachable). */
    public static ProxyProblem callerRejected(CallerRejectedException ex) {
        if (ex instanceof IdentityProviderUnreachableException) {
            return new ProxyProblem(HttpStatus.SERVICE_UNAVAILABLE, "identity-provider-unreachable",
                    "Sign-in service unreachable", ex.getMessage(), "api_error", "identity_provider_unreachable");
        }
        return unauthenticated(ex.getMessage());
    }

    public static ProxyProblem forbidden(String detail) {
        return new ProxyProblem(HttpStatus.FORBIDDEN, "provider-not-allowed", "Provider not allowed", detail,
                "permission_error", "provider_not_allowed");
    }

    public static ProxyProblem unknownProvider(String provider) {
        return new ProxyProblem(HttpStatus.NOT_FOUND, "unknown-provider", "Unknown provider",
                "Keygate has no provider '" + provider + "'. Use one of the catalog's ids, e.g. /api/proxy/openai/...",
                "invalid_request_error", "unknown_provider");
    }

    public static ProxyProblem noProviderKey(String detail) {
        // Seed 000: a missing key is "400 API key not configured".
        return new ProxyProblem(HttpStatus.BAD_REQUEST, "api-key-not-configured", "API key not configured", detail,
                "invalid_request_error", "api_key_not_configured");
    }

    /** A request Spring Security's firewall refused before any route saw it (see SecurityConfiguration). */
    public static ProxyProblem requestRejected() {
        return new ProxyProblem(HttpStatus.BAD_REQUEST, "request-rejected", "Request rejected", "The request was "
                + "refused before routing: its path or headers contain what the proxy never forwards (dot segments, "
                + "encoded dots, slashes or percent signs, backslashes, double slashes, semicolons, control characters). "
                + "Send the provider's own path, like /api/proxy/openai/v1/chat/completions.",
                "invalid_request_error", "request_rejected");
    }

    /** A client that sent its headers and then stalled or trickled its body (slow loris). */
    public static ProxyProblem requestBodyTimeout(java.time.Duration pause, java.time.Duration total) {
        return new ProxyProblem(HttpStatus.REQUEST_TIMEOUT, "request-body-timeout", "Request body too slow",
                "The request body stopped arriving: send it whole and without pauses (at most " + pause.toSeconds()
                        + " s between reads and " + total.toSeconds() + " s in all), or send a smaller body.",
                "invalid_request_error", "request_timeout");
    }

    /** A request WebFlux itself refused on a route (a method it does not take, an unreadable body). */
    public static ProxyProblem requestNotSupported(org.springframework.http.HttpStatusCode status) {
        HttpStatus known = HttpStatus.resolve(status.value());
        return new ProxyProblem(known == null ? HttpStatus.BAD_REQUEST : known, "request-not-supported",
                "Request not supported", "This route does not take this request (" + status.value() + "): the "
                + "provider routes forward what the provider's SDK sends, seed 001's envelope route takes POST with a "
                + "JSON body {\"proxy_key\", \"provider\", \"body\"}.", "invalid_request_error", "request_not_supported");
    }

    /** Any path outside the proxy's routes (they are closed by Spring Security, see SecurityConfiguration). */
    public static ProxyProblem noSuchRoute() {
        return new ProxyProblem(HttpStatus.NOT_FOUND, "no-such-route", "No such route", "The proxy serves "
                + "/api/proxy/{provider}/..., /api/proxy/tools/{tool}/..., seed 001's /proxy/{provider}/..., /health, "
                + "/api/rate-limit-status, /api/analytics-query and /actuator/health; call one of those.",
                "invalid_request_error", "no_such_route");
    }

    public static ProxyProblem badPath(String detail) {
        return new ProxyProblem(HttpStatus.BAD_REQUEST, "invalid-path", "Invalid path", detail,
                "invalid_request_error", "invalid_path");
    }

    public static ProxyProblem vaultUnavailable(String detail) {
        return new ProxyProblem(HttpStatus.SERVICE_UNAVAILABLE, "key-vault-unavailable", "Key vault unavailable",
                "The provider key could not be fetched (" + detail + "); retry shortly.", "api_error",
                "key_vault_unavailable");
    }

    public static ProxyProblem upstreamUnreachable(String provider) {
        return new ProxyProblem(HttpStatus.BAD_GATEWAY, "upstream-unreachable", "Provider unreachable",
                "Keygate could not reach " + provider + "; retry shortly.", "api_error", "upstream_unreachable");
    }

    public static ProxyProblem upstreamTimeout(String provider) {
        return new ProxyProblem(HttpStatus.GATEWAY_TIMEOUT, "upstream-timeout", "Provider timed out",
                provider + " did not answer in time; retry shortly.", "api_error", "upstream_timeout");
    }

    public static ProxyProblem modelNotAllowed(String detail) {
        return new ProxyProblem(HttpStatus.FORBIDDEN, "model-not-allowed", "Model not allowed", detail,
                "permission_error", "model_not_allowed");
    }

    public static ProxyProblem originNotAllowed(String origin, String tenantId) {
        return new ProxyProblem(HttpStatus.FORBIDDEN, "origin-not-allowed", "Origin not allowed",
                "Browser calls from " + origin + " are not allowed for your organisation; a platform admin can add it "
                        + "to keygate.proxy.limits.cors.allowed-origins." + tenantId + ".",
                "permission_error", "origin_not_allowed");
    }

    public static ProxyProblem payloadTooLarge(long maxBytes) {
        return new ProxyProblem(HttpStatus.CONTENT_TOO_LARGE, "payload-too-large", "Request body too large",
                "The request body is larger than this proxy's limit of " + maxBytes + " bytes; send a smaller request "
                        + "(or ask the operator to raise keygate.proxy.limits.max-request-body).",
                "invalid_request_error", "payload_too_large");
    }

    public static ProxyProblem invalidJson(String detail) {
        return new ProxyProblem(HttpStatus.BAD_REQUEST, "invalid-json", "Invalid JSON body", detail,
                "invalid_request_error", "invalid_json");
    }

    public static ProxyProblem quotaExhausted(String detail) {
        // OpenAI's own code for a spent budget, so SDKs treat it like the provider's.
        return new ProxyProblem(HttpStatus.TOO_MANY_REQUESTS, "quota-exhausted", "Quota exhausted", detail,
                "insufficient_quota", "insufficient_quota");
    }

    public static ProxyProblem budgetsUnavailable() {
        return new ProxyProblem(HttpStatus.SERVICE_UNAVAILABLE, "budgets-unavailable", "Budget check unavailable",
                "Your calls count against a hard budget, and Keygate's usage service did not answer in time to "
                        + "reserve this call against it; retry shortly.", "api_error", "budgets_unavailable");
    }

    public static ProxyProblem usageSpoolFull() {
        return new ProxyProblem(HttpStatus.SERVICE_UNAVAILABLE, "usage-spool-full", "Usage recording unavailable",
                "Keygate cannot record usage right now (its event broker is unreachable and the local spool is full); "
                        + "retry shortly.", "api_error", "usage_spool_full");
    }

    // --- seed compatibility routes (seed 001 envelope, seed 003 query templates) --------------------------------

    public static ProxyProblem hardwareNotActivated() {
        // Seed 001's own message, so its clients show what they always showed.
        return new ProxyProblem(HttpStatus.FORBIDDEN, "hardware-id-not-activated",
                "Hardware ID not activated for this license", "Hardware ID not activated for this license",
                "permission_error", "hardware_id_not_activated");
    }

    public static ProxyProblem providerKeyUnavailable(String detail) {
        // Seed 001: on its /proxy/{provider}/{api_path} route a missing provider key is a 503.
        return new ProxyProblem(HttpStatus.SERVICE_UNAVAILABLE, "api-key-not-configured", "API key not configured",
                detail, "api_error", "api_key_not_configured");
    }

    public static ProxyProblem invalidEnvelope(String detail) {
        return new ProxyProblem(HttpStatus.BAD_REQUEST, "invalid-envelope", "Invalid proxy request", detail,
                "invalid_request_error", "invalid_envelope");
    }

    public static ProxyProblem envelopeTooLarge(long maxBytes) {
        return new ProxyProblem(HttpStatus.CONTENT_TOO_LARGE, "envelope-too-large", "Request too large",
                "The request body exceeds " + maxBytes + " bytes; send a smaller one.", "invalid_request_error",
                "request_too_large");
    }

    public static ProxyProblem queryNotAllowed(String detail) {
        return new ProxyProblem(HttpStatus.BAD_REQUEST, "query-type-not-allowed", "Query type not allowed", detail,
                "invalid_request_error", "query_type_not_allowed");
    }

    public static ProxyProblem invalidQueryParameters(String detail) {
        return new ProxyProblem(HttpStatus.BAD_REQUEST, "invalid-query-parameters", "Invalid query parameters",
                detail, "invalid_request_error", "invalid_query_parameters");
    }
}
