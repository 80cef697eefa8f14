package dev.keygate.proxy.compat;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.keygate.proxy.clientauth.CallerAuthenticator;
import dev.keygate.proxy.forwarding.ProviderCalls;
import dev.keygate.proxy.system.ProxyProblems;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Seed 003's whitelisted queries, {@code POST /api/analytics-query} with
 * {@code {"query_type": "mrr_analysis", "parameters": {"time_period": "last_30_days"}}}: only a {@code query_type}
 * from the admin-defined allow-list ({@code keygate.proxy.compat.queries}) is accepted, its parameters are checked
 * against their declaration, and the provider request is rendered here from the template, so callers cannot send
 * prompts of their own. The caller authenticates as on the provider routes; the answer is the provider's.
 */
@Component
class AnalyticsQueryHandler {

    private final CallerAuthenticator callers;
    private final ProviderCalls calls;
    private final ProxyProblems problems;
    private final CompatProperties properties;
    private final QueryTemplates templates;
    private final JsonMapper json;

    AnalyticsQueryHandler(CallerAuthenticator callers, ProviderCalls calls, ProxyProblems problems,
                          CompatProperties properties, JsonMapper json) {
        this.callers = callers;
        this.calls = calls;
        this.problems = problems;
        this.properties = properties;
        this.json = json;
        this.templates = new QueryTemplates(properties.queries(), json);
        properties.queries().forEach((type, query) -> {
            if (!calls.knows(query.provider())) {
                throw new IllegalStateException("keygate.proxy.compat.queries." + type + ".provider '"
                        + query.provider() + "' is not a provider of keygate.proxy.providers");
            }
        });
    }

    Mono<ServerResponse> query(ServerRequest request) {
        long max = properties.maxRequestSize().toBytes();
        return DataBufferUtils.join(request.bodyToFlux(DataBuffer.class), (int) Math.min(Integer.MAX_VALUE, max))
                .map(buffer -> {
                    try {
                        byte[] bytes = new byte[buffer.readableByteCount()];
                        buffer.read(bytes);
                        return bytes;
                    }
                    finally {
                        DataBufferUtils.release(buffer);
                    }
                })
                .defaultIfEmpty(new byte[0])
                .flatMap(raw -> query(request, raw))
                .onErrorResume(DataBufferLimitException.class,
                        ex -> problems.respond(ProxyProblems.envelopeTooLarge(max)));
    }

    private Mono<ServerResponse> query(ServerRequest request, byte[] raw) {
        JsonNode query;
        try {
            query = raw.length == 0 ? null : json.readTree(raw);
        }
        catch (JacksonException ex) {
            query = null;
        }
        if (query == null || !query.isObject()) {
            return problems.respond(ProxyProblems.invalidQueryParameters("Send a JSON object: {\"query_type\": "
                    + "\"one of " + templates.types() + "\", \"parameters\": {...}}."));
        }
        JsonNode type = query.get("query_type");
        QueryTemplates.Compiled compiled = type != null && type.isString()
                ? templates.find(type.asString()).orElse(null) : null;
        if (compiled == null) {
            // The rejected value is not echoed: it is caller text.
            return problems.respond(ProxyProblems.queryNotAllowed("'query_type' must be one of the allowed "
                    + "query types " + templates.types() + "; ask your Keygate admin to add a new one."));
        }
        JsonNode parameters = query.get("parameters");
        if (parameters != null && !parameters.isNull() && !parameters.isObject()) {
            return problems.respond(ProxyProblems.invalidQueryParameters("'parameters' must be a JSON object."));
        }
        Map<String, String> supplied = new LinkedHashMap<>();
        if (parameters != null && parameters.isObject()) {
            for (String name : parameters.propertyNames()) {
                JsonNode value = parameters.get(name);
                if (!value.isValueNode() || value.isNull()) {
                    return problems.respond(ProxyProblems.invalidQueryParameters(
                            "Parameter '" + name + "' must be a string, number or boolean."));
                }
                supplied.put(name, value.asString());
            }
        }
        byte[] body;
        try {
            body = json.writeValueAsBytes(compiled.render(supplied));
        }
        catch (QueryTemplates.InvalidParametersException ex) {
            return problems.respond(ProxyProblems.invalidQueryParameters(ex.getMessage()));
        }
        CompatProperties.QueryTemplate template = compiled.template();
        HttpHeaders headers = new HttpHeaders();
        properties.defaultHeaders().getOrDefault(template.provider(), Map.of()).forEach(headers::set);
        String accept = request.headers().firstHeader(HttpHeaders.ACCEPT);
        if (accept != null) {
            headers.set(HttpHeaders.ACCEPT, accept);
        }
        headers.setContentType(MediaType.APPLICATION_JSON);
        headers.setContentLength(body.length);
        return calls.forward(request, callers.authenticate(request.exchange().getRequest()), template.provider(),
                template.path(), headers, body, request.headers().firstHeader("X-Hardware-Id"),
                ProxyProblems::noProviderKey);
    }
}
