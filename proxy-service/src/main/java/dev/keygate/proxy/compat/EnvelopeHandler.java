package dev.keygate.proxy.compat;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

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
 * Seed 001's proxy mode, {@code POST /proxy/{provider}/{api_path}} with the JSON envelope
 * {@code {"proxy_key": "px_…", "provider": "openai", "body": {…}, "hardware_id": "…"}}: the proxy key comes from
 * the envelope, a device-bound key needs the hardware id it was activated with, and {@code body} goes unchanged to
 * the provider's {@code api_path} with the real key. The answer is the provider's, streamed as it arrives. A missing
 * provider key is 503, as the seed documents.
 */
@Component
class EnvelopeHandler {

    static final String PREFIX = "/proxy/";
    /** Headers that describe the envelope, not the body sent on. */
    private static final Set<String> ENVELOPE_HEADERS = Set.of("content-length", "content-type", "transfer-encoding");

    private final CallerAuthenticator callers;
    private final ProviderCalls calls;
    private final ProxyProblems problems;
    private final CompatProperties properties;
    private final JsonMapper json;

    EnvelopeHandler(CallerAuthenticator callers, ProviderCalls calls, ProxyProblems problems,
                    CompatProperties properties, JsonMapper json) {
        this.callers = callers;
        this.calls = calls;
        this.problems = problems;
        this.properties = properties;
        this.json = json;
    }

    Mono<ServerResponse> forward(ServerRequest request) {
        String providerId = request.pathVariable("provider");
        if (!calls.knows(providerId)) {
            return problems.respond(ProxyProblems.unknownProvider(providerId));
        }
        String rawPath = request.requestPath().pathWithinApplication().value();
        String apiPath = rawPath.substring(Math.min(rawPath.length(), PREFIX.length() + providerId.length()));
        long max = properties.maxRequestSize().toBytes();
        return DataBufferUtils.join(request.bodyToFlux(DataBuffer.class), (int) Math.min(Integer.MAX_VALUE, max))
                .map(EnvelopeHandler::bytes)
                .defaultIfEmpty(new byte[0])
                .flatMap(raw -> forward(request, providerId, apiPath, raw))
                .onErrorResume(DataBufferLimitException.class,
                        ex -> problems.respond(ProxyProblems.envelopeTooLarge(max)));
    }

    private Mono<ServerResponse> forward(ServerRequest request, String providerId, String apiPath, byte[] raw) {
        JsonNode envelope;
        try {
            envelope = raw.length == 0 ? null : json.readTree(raw);
        }
        catch (JacksonException ex) {
            return problems.respond(ProxyProblems.invalidEnvelope("The request is not valid JSON. Send "
                    + "{\"proxy_key\": \"px_...\", \"provider\": \"" + providerId + "\", \"body\": {...}}."));
        }
        if (envelope == null || !envelope.isObject()) {
            return problems.respond(ProxyProblems.invalidEnvelope("Send a JSON object: {\"proxy_key\": \"px_...\", "
                    + "\"provider\": \"" + providerId + "\", \"body\": {...}}."));
        }
        JsonNode named = envelope.get("provider");
        if (named != null && !named.isNull() && !(named.isString() && named.asString().equals(providerId))) {
            return problems.respond(ProxyProblems.invalidEnvelope("'provider' must be \"" + providerId
                    + "\", the provider in the path /proxy/" + providerId + "/..., or be left out."));
        }
        JsonNode body = envelope.get("body");
        if (body == null || !body.isObject()) {
            return problems.respond(ProxyProblems.invalidEnvelope("'body' must be the provider's request as a JSON "
                    + "object, e.g. {\"model\": \"...\", \"messages\": [...]}."));
        }
        JsonNode key = envelope.get("proxy_key");
        JsonNode hardware = envelope.get("hardware_id");
        if (hardware != null && !hardware.isNull() && !hardware.isString()) {
            return problems.respond(ProxyProblems.invalidEnvelope("'hardware_id' must be a string."));
        }
        byte[] forwarded = json.writeValueAsBytes(body);
        HttpHeaders headers = upstreamHeaders(request.headers().asHttpHeaders(), providerId, forwarded.length);
        String proxyKey = key != null && key.isString() ? key.asString() : null;
        return calls.forward(request, callers.authenticateProxyKey(proxyKey), providerId, apiPath, headers, forwarded,
                hardware == null || hardware.isNull() ? null : hardware.asString(),
                ProxyProblems::providerKeyUnavailable);
    }

    private HttpHeaders upstreamHeaders(HttpHeaders incoming, String providerId, int length) {
        HttpHeaders headers = new HttpHeaders();
        incoming.forEach((name, values) -> {
            if (!ENVELOPE_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                headers.addAll(name, values);
            }
        });
        for (Map.Entry<String, String> header : properties.defaultHeaders().getOrDefault(providerId, Map.of())
                .entrySet()) {
            if (!headers.containsHeader(header.getKey())) {
                headers.set(header.getKey(), header.getValue());
            }
        }
        headers.setContentType(MediaType.APPLICATION_JSON);
        headers.setContentLength(length);
        return headers;
    }

    private static byte[] bytes(DataBuffer buffer) {
        try {
            byte[] bytes = new byte[buffer.readableByteCount()];
            buffer.read(bytes);
            return bytes;
        }
        finally {
            DataBufferUtils.release(buffer);
        }
    }
}
