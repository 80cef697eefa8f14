package dev.keygate.proxy.limits;

import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import dev.keygate.proxy.system.ProxyProblems;
import io.netty.handler.timeout.ReadTimeoutException;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.codec.HttpMessageWriter;
import org.springframework.http.codec.ServerCodecConfigurer;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.cors.reactive.CorsUtils;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.reactive.result.view.ViewResolver;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The first thing every request meets (before Spring Security): CORS preflights are answered here without a
 * credential; bodies over the size limit are refused with 413 (by {@code Content-Length} at once, chunked ones as
 * they stream); each client address is limited before authentication, and addresses that keep presenting refused
 * credentials are stopped. It also ends the exchange's in-flight slots when the answer is fully written or the
 * client went away.
 */
class LimitsWebFilter implements WebFilter, Ordered {

    /** Before Spring Security's filter chain (-100), so refusals cost nothing more. */
    static final int ORDER = -150;
    private static final Set<HttpMethod> METHODS = Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT,
            HttpMethod.PATCH, HttpMethod.DELETE);
    private static final Pattern HEADER_LIST = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~ ,-]{0,1024}");

    private final RateLimiter limiter;
    private final CorsPolicy cors;
    private final LimitsProperties properties;
    private final ProxyProblems problems;
    private final ServerResponse.Context context;

    LimitsWebFilter(RateLimiter limiter, CorsPolicy cors, LimitsProperties properties, ProxyProblems problems,
                    ServerCodecConfigurer codecs) {
        this.limiter = limiter;
        this.cors = cors;
        this.properties = properties;
        this.problems = problems;
        List<HttpMessageWriter<?>> writers = codecs.getWriters();
        this.context = new ServerResponse.Context() {
            @Override
            public List<HttpMessageWriter<?>> messageWriters() {
                return writers;
            }

            @Override
            public List<ViewResolver> viewResolvers() {
                return List.of();
            }
        };
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        if (request.getPath().pathWithinApplication().value().startsWith("/actuator/")) {
            return chain.filter(exchange);
        }
        if (CorsUtils.isPreFlightRequest(request)) {
            return preflight(exchange);
        }
        ExchangeLimits limits = ExchangeLimits.install(exchange);
        long maxBytes = properties.maxRequestBody().toBytes();
        long length = request.getHeaders().getContentLength();
        if (length > maxBytes) {
            return write(exchange, problems.respond(ProxyProblems.payloadTooLarge(maxBytes)));
        }
        String address = RateLimiter.clientAddress(request);
        Admission admission = limiter.admitAddress(address);
        limits.offer(admission.quota());
        if (!admission.admitted()) {
            return write(exchange, problems.respondRateLimited(admission.message(), admission.fix(),
                    admission.retryAfterSeconds()));
        }
        ServerWebExchange bounded = length < 0 && request.getHeaders().containsHeader(HttpHeaders.TRANSFER_ENCODING)
                ? exchange.mutate().request(new BoundedBody(request, maxBytes)).build() : exchange;
        return chain.filter(bounded)
                .onErrorResume(error -> RequestBodyTooLargeException.in(error) != null
                                && !exchange.getResponse().isCommitted(),
                        error -> write(exchange, problems.respond(ProxyProblems.payloadTooLarge(maxBytes))))
                // Reactor Netty's body read timeouts (LimitsConfiguration) surface as raw Netty exceptions, which
                // the default handler answered as a 500 with Spring's error JSON. Upstream timeouts never get here
                // raw: ProxyHandler maps them to 504 before.
                .onErrorResume(error -> bodyTimedOut(error) && !exchange.getResponse().isCommitted(),
                        error -> write(exchange, problems.respond(ProxyProblems.requestBodyTimeout(
                                properties.bodyReadTimeout(), properties.maxBodyReadTime()),
                                headers -> headers.set(HttpHeaders.CONNECTION, "close"))))
                .doFinally(signal -> {
                    // Only the proxy's own refusal of a credential counts; a provider's 401 is about its key.
                    HttpStatusCode status = exchange.getResponse().getStatusCode();
                    if (status != null && status.value() == 401 && !limits.wasAuthenticated()) {
                        limiter.recordFailedAuthentication(address);
                    }
                    limits.end();
                });
    }

    private Mono<Void> preflight(ServerWebExchange exchange) {
        HttpHeaders requestHeaders = exchange.getRequest().getHeaders();
        String origin = requestHeaders.getOrigin();
        HttpMethod method = requestHeaders.getAccessControlRequestMethod();
        String asked = String.join(", ", requestHeaders.getOrEmpty(HttpHeaders.ACCESS_CONTROL_REQUEST_HEADERS));
        if (origin == null || !cors.allowsAnyTenant(origin) || method == null || !METHODS.contains(method)
                || !HEADER_LIST.matcher(asked).matches()) {
            return write(exchange, problems.respond(ProxyProblems.originNotAllowed(String.valueOf(origin),
                    "<your-tenant-id>")));
        }
        HttpHeaders headers = exchange.getResponse().getHeaders();
        headers.set(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.set(HttpHeaders.ACCESS_CONTROL_ALLOW_METHODS, method.name());
        if (!asked.isBlank()) {
            headers.set(HttpHeaders.ACCESS_CONTROL_ALLOW_HEADERS, asked);
        }
        headers.set(HttpHeaders.ACCESS_CONTROL_MAX_AGE, Long.toString(properties.cors().maxAge().toSeconds()));
        headers.add(HttpHeaders.VARY, HttpHeaders.ORIGIN);
        headers.add(HttpHeaders.VARY, HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD);
        headers.add(HttpHeaders.VARY, HttpHeaders.ACCESS_CONTROL_REQUEST_HEADERS);
        headers.set("X-Content-Type-Options", "nosniff");
        exchange.getResponse().setStatusCode(HttpStatus.NO_CONTENT);
        return exchange.getResponse().setComplete();
    }

    private static boolean bodyTimedOut(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            // Reactor Netty's RequestTimeoutException (max-body-read-time) is package-private: known by name.
            if (cause instanceof ReadTimeoutException
                    || cause.getClass().getName().equals("reactor.netty.http.server.RequestTimeoutException")) {
                return true;
            }
        }
        return false;
    }

    private Mono<Void> write(ServerWebExchange exchange, Mono<ServerResponse> response) {
        return response.flatMap(r -> r.writeTo(exchange, context));
    }

    /** Counts a chunked body as it streams and fails it once it passes the limit. */
    private static final class BoundedBody extends ServerHttpRequestDecorator {

        private final long maxBytes;

        BoundedBody(ServerHttpRequest delegate, long maxBytes) {
            super(delegate);
            this.maxBytes = maxBytes;
        }

        @Override
        public Flux<DataBuffer> getBody() {
            return Flux.defer(() -> {
                AtomicLong seen = new AtomicLong();
                return super.getBody().handle((buffer, sink) -> {
                    if (seen.addAndGet(buffer.readableByteCount()) > maxBytes) {
                        DataBufferUtils.release(buffer);
                        sink.error(new RequestBodyTooLargeException(maxBytes));
                    }
                    else {
                        sink.next(buffer);
                    }
                });
            });
        }
    }
}
