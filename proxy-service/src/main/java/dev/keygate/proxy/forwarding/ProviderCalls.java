package dev.keygate.proxy.forwarding;

import java.util.function.Function;

import dev.keygate.proxy.clientauth.Caller;
import dev.keygate.proxy.system.ProxyProblem;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Forwarding for routes that build the provider call themselves (seed 001's envelope, allow-listed query
 * templates): the same authentication outcome handling, key lease, streaming relay and usage event as
 * {@code /api/proxy/{provider}/**}.
 */
@Component
public class ProviderCalls {

    private final ProxyHandler handler;
    private final ProxyProperties properties;

    ProviderCalls(ProxyHandler handler, ProxyProperties properties) {
        this.handler = handler;
        this.properties = properties;
    }

    /** Whether the catalog has this provider. */
    public boolean knows(String providerId) {
        return properties.providers().containsKey(providerId);
    }

    /**
     * Sends {@code body} with {@code request}'s method to {@code path} of the provider for the caller {@code caller}
     * completes with, and relays the provider's answer unchanged.
     *
     * @param path the provider path, percent-encoded, starting with '/'; confined to the provider's base URL
     * @param headers the headers to send, subject to the proxy's header policy; must match {@code body}
     * @param hardwareId the device the caller named, checked against a device-bound key; may be {@code null}
     * @param missingKey the problem to answer when neither the caller nor their organisation has a provider key
     */
    public Mono<ServerResponse> forward(ServerRequest request, Mono<Caller> caller, String providerId, String path,
                                        HttpHeaders headers, byte[] body, String hardwareId,
                                        Function<String, ProxyProblem> missingKey) {
        return handler.forward(request, new ProxyHandler.Outbound(providerId, properties.providers().get(providerId),
                path, null, caller, headers,
                Flux.defer(() -> Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(body))), hardwareId,
                missingKey, body));
    }
}
