package dev.keygate.proxy.forwarding;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Pattern;

import dev.keygate.contracts.keyvault.v1.ResolvedKey;
import dev.keygate.contracts.usage.v1.TokenUsage;
import dev.keygate.contracts.usage.v1.UsageRecorded;
import dev.keygate.proxy.clientauth.Caller;
import dev.keygate.proxy.clientauth.CallerAuthenticator;
import dev.keygate.proxy.clientauth.CallerRejectedException;
import dev.keygate.proxy.keylease.KeyvaultClient;
import dev.keygate.proxy.keylease.NoProviderKeyException;
import dev.keygate.proxy.keylease.VaultUnavailableException;
import dev.keygate.proxy.metering.StreamBudgetGuard;
import dev.keygate.proxy.metering.UsageMeter;
import dev.keygate.proxy.metering.UsageMeters;
import dev.keygate.proxy.metering.UsagePublisher;
import dev.keygate.proxy.observation.CallMeters;
import dev.keygate.proxy.system.ProxyProblem;
import dev.keygate.proxy.system.ProxyProblems;
import dev.keygate.proxy.system.TraceIds;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import dev.keygate.proxy.limits.BudgetShares;
import dev.keygate.proxy.limits.CallAdmission;
import dev.keygate.proxy.limits.CallRefusedException;
import dev.keygate.proxy.limits.RequestBodyTooLargeException;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.timeout.ReadTimeoutException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code /api/proxy/{provider}/**} and {@code /api/proxy/tools/{tool}/**}: authenticate the caller, lease the provider key from keyvault, forward method,
 * path, query, headers and body to the provider with the real key, and stream the answer back as it arrives,
 * flushing each chunk. Usage is read off the stream in passing and published once the answer ends. Every step is
 * non-blocking; a client that disconnects cancels the upstream call.
 */
@Component
class ProxyHandler {

    static final String PREFIX = "/api/proxy/";
    /** The largest chat request the proxy reads to ask for streamed usage; larger ones pass unread and unbilled. */
    static final int MAX_INSPECTED_BODY = 16 * 1024 * 1024;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    static final String TOOLS_PREFIX = PREFIX + "tools/";
    /** Where a device-bound proxy key's caller names its device on the provider routes (seed 001 binding). */
    static final String HARDWARE_ID_HEADER = "X-Hardware-Id";
    private static final Pattern VERSION_PREFIX = Pattern.compile("^/v[0-9]+[a-z0-9]*/");
    private static final Pattern EDGE_SLASHES = Pattern.compile("^/+|/+$");

    private final ProxyProperties properties;
    private final ToolProperties tools;
    private final CallerAuthenticator callers;
    private final KeyvaultClient keyvault;
    private final UsageMeters meters;
    private final UsagePublisher usage;
    private final ProxyProblems problems;
    private final CallAdmission admission;
    private final CustomProviders custom;
    private final ObjectProvider<Tracer> tracerProvider;
    private volatile Tracer resolvedTracer;
    private final CallMeters callMeters;
    private final WebClient upstream;

    ProxyHandler(ProxyProperties properties, ToolProperties tools, CallerAuthenticator callers,
                 KeyvaultClient keyvault, UsageMeters meters, UsagePublisher usage, ProxyProblems problems,
                 CallAdmission admission, CustomProviders custom, ObjectProvider<Tracer> tracer,
                 CallMeters callMeters, WebClient.Builder builder) {
        this.properties = properties;
        this.tools = tools;
        this.callers = callers;
        this.keyvault = keyvault;
        this.meters = meters;
        this.usage = usage;
        this.problems = problems;
        this.admission = admission;
        this.custom = custom;
        this.tracerProvider = tracer;
        this.callMeters = callMeters;
        HttpClient http = HttpClient.create(ConnectionProvider.builder("upstream")
                        .maxConnections(1000)
                        .pendingAcquireMaxCount(2000)
                        .build())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) properties.connectTimeout().toMillis())
                .responseTimeout(properties.responseTimeout())
                .compress(false);
        this.upstream = builder.clone().clientConnector(new ReactorClientHttpConnector(http)).build();
    }

    Mono<ServerResponse> forward(ServerRequest request) {
        String providerId = request.pathVariable("provider");
        String rawPath = request.requestPath().pathWithinApplication().value();
        String remainder = rawPath.substring(Math.min(rawPath.length(), PREFIX.length() + providerId.length()));
        return forward(request, providerId, properties.providers().get(providerId), remainder);
    }

    /** {@code /api/proxy/tools/{tool}/**}: a tool API of the catalog, with its key in the tool's own header. */
    Mono<ServerResponse> forwardTool(ServerRequest request) {
        String tool = request.pathVariable("tool");
        String rawPath = request.requestPath().pathWithinApplication().value();
        String remainder = rawPath.substring(Math.min(rawPath.length(), TOOLS_PREFIX.length() + tool.length()));
        return forward(request, tool, tools.tools().get(tool), remainder);
    }

    private Mono<ServerResponse> forward(ServerRequest request, String providerId, ProxyProperties.Provider provider,
                                         String remainder) {
        HttpHeaders incoming = request.headers().asHttpHeaders();
        boolean hasBody = incoming.getContentLength() > 0 || incoming.containsHeader(HttpHeaders.TRANSFER_ENCODING);
        return forward(request, new Outbound(providerId, provider, remainder, request.uri().getRawQuery(),
                callers.authenticate(request.exchange().getRequest()), incoming,
                hasBody ? request.bodyToFlux(DataBuffer.class) : null, incoming.getFirst(HARDWARE_ID_HEADER),
                ProxyProblems::noProviderKey, null));
    }

    /**
     * Forwards one call on behalf of a caller still to be authenticated: the provider route above, seed 001's
     * envelope and the allow-listed query templates all end here.
     */
    Mono<ServerResponse> forward(ServerRequest request, Outbound outbound) {
        Instant receivedAt = Instant.now();
        long started = System.nanoTime();
        String providerId = outbound.providerId();
        ProxyProperties.Provider provider = outbound.provider();
        if (provider == null) {
            // Not predefined: perhaps the caller's tenant's own provider, known once the caller is.
            return outbound.caller()
                    .flatMap(caller -> custom.find(caller.tenantId(), providerId)
                            .map(found -> forward(request, outbound.to(found, Mono.just(caller))))
                            .orElseGet(() -> problems.respond(ProxyProblems.unknownProvider(providerId), providerId)))
                    .onErrorResume(CallerRejectedException.class,
                            ex -> problems.respond(ProxyProblems.callerRejected(ex), providerId));
        }
        if (!usage.acceptingCalls()) {
            // Admission control: a call whose usage event could not be kept is refused rather than left unrecorded.
            // The drainer retries Kafka at most every 10 s; a client may try again after that.
            return problems.respond(ProxyProblems.usageSpoolFull(),
                    headers -> headers.set(HttpHeaders.RETRY_AFTER, "10"));
        }
        URI target;
        try {
            target = UpstreamTarget.resolve(provider.baseUrl(), outbound.path(), outbound.rawQuery());
        }
        catch (UnsafePathException ex) {
            return problems.respond(ProxyProblems.badPath(ex.getMessage()), providerId);
        }
        Span span = span(request);
        Call call = new Call(providerId, provider, target, operation(outbound.path()), receivedAt, started, span,
                TraceIds.of(span), false);
        return outbound.caller()
                .flatMap(caller -> {
                    if (!caller.mayUse(providerId)) {
                        return problems.respond(ProxyProblems.forbidden(
                                "This proxy key may not call '" + providerId + "'; create one that allows it."),
                                providerId);
                    }
                    if (!caller.acceptsDevice(outbound.hardwareId())) {
                        return problems.respond(ProxyProblems.hardwareNotActivated(), providerId);
                    }
                    return admission.admit(request, caller, providerId, outbound.path(), outbound.bodyBytes())
                            .flatMap(admitted -> askForStreamUsage(request, outbound.readingFrom(admitted), call))
                            .flatMap(prepared -> keyvault.resolve(caller, providerId)
                                    .flatMap(key -> exchange(request, prepared.outbound(), caller, key,
                                            prepared.call())));
                })
                .onErrorResume(CallRefusedException.class, ex -> ex.respond(problems))
                .onErrorResume(ex -> RequestBodyTooLargeException.in(ex) != null, ex -> problems.respond(
                        ProxyProblems.payloadTooLarge(RequestBodyTooLargeException.in(ex).maxBytes()), providerId))
                .onErrorResume(CallerRejectedException.class,
                        ex -> problems.respond(ProxyProblems.callerRejected(ex), providerId))
                .onErrorResume(NoProviderKeyException.class,
                        ex -> problems.respond(outbound.missingKey().apply(ex.getMessage()), providerId))
                .onErrorResume(VaultUnavailableException.class,
                        ex -> problems.respond(ProxyProblems.vaultUnavailable(ex.getMessage()), providerId))
                .onErrorResume(WebClientRequestException.class, ex -> problems.respond(
                        ex.getCause() instanceof ReadTimeoutException || ex.getCause() instanceof ConnectTimeoutException
                                ? ProxyProblems.upstreamTimeout(providerId)
                                : ProxyProblems.upstreamUnreachable(providerId), providerId))
                .onErrorResume(TimeoutException.class,
                        ex -> problems.respond(ProxyProblems.upstreamTimeout(providerId), providerId));
    }

    /**
     * For a streamed OpenAI-style chat completion that did not ask for usage, asks for it (see {@link StreamUsage});
     * the answer's extra usage chunk is then removed before the client sees it. Any other call passes unchanged and
     * its body unread.
     */
    private Mono<Prepared> askForStreamUsage(ServerRequest request, Outbound outbound, Call call) {
        boolean openAiStyle = StreamUsage.mayAsk(outbound.providerId(), request.method(), outbound.path())
                || !properties.providers().containsKey(outbound.providerId()) && !tools.tools().containsKey(
                        outbound.providerId()) && StreamUsage.mayAsk("openai", request.method(), outbound.path());
        if (outbound.body() == null || !openAiStyle) {
            return Mono.just(new Prepared(outbound, call));
        }
        Mono<byte[]> body = outbound.bodyBytes() != null ? Mono.just(outbound.bodyBytes())
                : DataBufferUtils.join(outbound.body(), MAX_INSPECTED_BODY).map(ProxyHandler::bytes);
        return body.map(bytes -> {
            byte[] asking = StreamUsage.askingForUsage(bytes, JSON);
            byte[] sent = asking == null ? bytes : asking;
            HttpHeaders headers = new HttpHeaders();
            headers.addAll(outbound.headers());
            headers.setContentLength(sent.length);
            return new Prepared(new Outbound(outbound.providerId(), outbound.provider(), outbound.path(),
                    outbound.rawQuery(), outbound.caller(), headers,
                    Flux.defer(() -> Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(sent))),
                    outbound.hardwareId(), outbound.missingKey(), sent), asking == null ? call : call.strippingUsage());
        });
    }

    private static byte[] bytes(DataBuffer buffer) {
        byte[] bytes = new byte[buffer.readableByteCount()];
        buffer.read(bytes);
        DataBufferUtils.release(buffer);
        return bytes;
    }

    private Mono<ServerResponse> exchange(ServerRequest request, Outbound outbound, Caller caller, ResolvedKey key,
                                          Call call) {
        URI uri = call.provider().auth() == ProxyProperties.AuthScheme.QUERY_KEY ? withQueryKey(call.target(), key.key())
                : call.target();
        WebClient.RequestBodySpec spec = upstream.method(request.method()).uri(uri)
                .headers(headers -> HeaderPolicy.copyUpstream(outbound.headers(), headers, call.provider().auth(),
                        key.key()));
        WebClient.RequestHeadersSpec<?> ready = outbound.body() != null
                ? spec.body(BodyInserters.fromDataBuffers(outbound.body())) : spec;
        return ready.retrieve()
                .onStatus(status -> true, response -> Mono.empty())
                .toEntityFlux(DataBuffer.class)
                .flatMap(answer -> {
                    if (answer.getStatusCode().value() == 401) {
                        keyvault.reportRejected(key.secretId(), 401);
                    }
                    return relay(answer, caller, call, CallAdmission.reservationOf(request.exchange()));
                });
    }

    private Mono<ServerResponse> relay(ResponseEntity<Flux<DataBuffer>> answer, Caller caller, Call call,
                                       BudgetShares.Reservation reservation) {
        if (reservation != null) {
            // The answer's usage settles the reservation in record(), which may run after the exchange ended.
            reservation.answered();
        }
        UsageMeter meter = meters.forAnswer(call.providerId(), answer.getHeaders().getContentType());
        boolean streamed = meter.streamed();
        AtomicLong firstByte = new AtomicLong(-1);
        int status = answer.getStatusCode().value();
        // A stream under a hard budget may outgrow its reserved worst case: it is ended at the event that crosses.
        StreamBudgetGuard guard = streamed && reservation != null && reservation.guarded() && status / 100 == 2
                ? meters.guard(call.providerId(), reservation::reservedTokens, reservation::extend) : null;
        Flux<DataBuffer> metered = (answer.getBody() == null ? Flux.<DataBuffer>empty() : answer.getBody())
                .doOnNext(buffer -> {
                    firstByte.compareAndSet(-1, System.nanoTime());
                    meter.accept(buffer);
                })
                .doFinally(signal -> record(caller, call, status, streamed, meter.finish(), firstByte.get(),
                        reservation, guard));
        Flux<DataBuffer> guarded = guard == null ? metered : guard.guard(metered);
        Flux<DataBuffer> body = call.stripUsage() && streamed ? UsageChunkFilter.strip(guarded) : guarded;
        BodyInserter<Flux<DataBuffer>, ServerHttpResponse> inserter =
                (response, context) -> response.writeAndFlushWith(body.map(Flux::just));
        return ServerResponse.status(answer.getStatusCode())
                .headers(headers -> HeaderPolicy.copyDownstream(answer.getHeaders(), headers))
                .body(inserter);
    }

    private void record(Caller caller, Call call, int status, boolean streamed, UsageMeter.MeteredUsage metered,
                        long firstByteNanos, BudgetShares.Reservation reservation, StreamBudgetGuard guard) {
        long now = System.nanoTime();
        UsageMeter.MeteredUsage used = metered;
        List<UUID> grants;
        if (guard != null && guard.cut()) {
            // Ended by its budget before the provider sent its final counts: the ledger gets the guard's lower
            // bound, and the reservation, which covered at least that, is spent whole.
            callMeters.streamCut(call.providerId());
            TokenUsage bound = guard.usedAtLeast();
            if (bound.totalTokens() > metered.usage().totalTokens()) {
                used = new UsageMeter.MeteredUsage(metered.model(), bound);
            }
            grants = settledWorstCase(reservation);
        }
        else {
            // A call whose tokens could not be read off its answer is settled as if it used all it reserved.
            grants = reservation == null ? null : used.usage().totalTokens() == 0 && status / 100 == 2
                    ? settledWorstCase(reservation) : reservation.settle(used.usage().totalTokens());
        }
        usage.publish(new UsageRecorded(UUID.randomUUID(), null, 0, call.receivedAt(), properties.region(),
                caller.tenantId(), caller.userId(), caller.kind().wireName(), caller.proxyKeyId(), call.providerId(),
                used.model(), call.operation(), streamed, status, used.usage(), (now - call.started()) / 1_000_000,
                firstByteNanos < 0 ? null : (firstByteNanos - call.started()) / 1_000_000, call.traceId(), grants,
                caller.licenseTier()),
                call.span());
        // After the usage event, which must go out whatever happens here.
        callMeters.record(properties.providers().containsKey(call.providerId())
                        || tools.tools().containsKey(call.providerId()) ? call.providerId() : CallMeters.CUSTOM_PROVIDER,
                used.model(), status, now - call.started(), firstByteNanos < 0 ? -1 : firstByteNanos - call.started());
    }

    private static List<UUID> settledWorstCase(BudgetShares.Reservation reservation) {
        return reservation.settle(reservation.reservedTokens());
    }

    /**
     * The call's span, parent of its usage event's send: the exchange's server span, else the current span if any.
     */
    private Span span(ServerRequest request) {
        Span observed = TraceIds.span(request.exchange());
        return observed != null ? observed : tracer().currentSpan();
    }

    /** Resolved once: a bean-factory lookup per call was a quarter of Keygate's own CPU per call. */
    private Tracer tracer() {
        Tracer current = resolvedTracer;
        if (current == null) {
            current = tracerProvider.getIfAvailable(() -> Tracer.NOOP);
            resolvedTracer = current;
        }
        return current;
    }

    /** {@code /v1/chat/completions} → {@code chat.completions}: a low-cardinality name for the operation. */
    static String operation(String path) {
        String trimmed = EDGE_SLASHES.matcher(VERSION_PREFIX.matcher(path).replaceFirst("/")).replaceAll("");
        String name = trimmed.replace('/', '.');
        return name.length() > 64 ? name.substring(0, 64) : name;
    }

    private static URI withQueryKey(URI target, String key) {
        String separator = target.getRawQuery() == null ? "?" : "&";
        return URI.create(target + separator + "key=" + URLEncoder.encode(key, StandardCharsets.UTF_8));
    }

    /**
     * One call to forward.
     *
     * @param provider where {@code providerId} is served, {@code null} when the catalog has no such provider
     * @param path the provider path, percent-encoded, starting with '/'
     * @param headers the client's headers; {@link HeaderPolicy} decides which go upstream
     * @param body the request body, {@code null} for none
     * @param hardwareId the device the caller names, checked against a device-bound key; may be {@code null}
     * @param missingKey the problem for "no provider key": seed 000's 400 or seed 001's 503
     */
    record Outbound(String providerId, ProxyProperties.Provider provider, String path, String rawQuery, Mono<Caller> caller, HttpHeaders headers,
                    Flux<DataBuffer> body, String hardwareId, Function<String, ProxyProblem> missingKey,
                    byte[] bodyBytes) {

        /**
         * The body to send once admission has passed: a body the proxy built itself ({@code bodyBytes}) as it is;
         * the client's own body from the admitted request, which replays it if admission had to read it.
         */
        /** The same call to a provider found after authentication, for the caller already authenticated. */
        Outbound to(ProxyProperties.Provider found, Mono<Caller> authenticated) {
            return new Outbound(providerId, found, path, rawQuery, authenticated, headers, body, hardwareId,
                    missingKey, bodyBytes);
        }

        Outbound readingFrom(ServerRequest admitted) {
            if (body == null || bodyBytes != null) {
                return this;
            }
            return new Outbound(providerId, provider, path, rawQuery, caller, headers,
                    admitted.bodyToFlux(DataBuffer.class), hardwareId, missingKey, null);
        }
    }

    /**
     * @param stripUsage whether the proxy asked for a usage chunk the client did not, which must not reach it
     */
    private record Call(String providerId, ProxyProperties.Provider provider, URI target, String operation,
                        Instant receivedAt, long started, Span span, String traceId, boolean stripUsage) {

        Call strippingUsage() {
            return new Call(providerId, provider, target, operation, receivedAt, started, span, traceId, true);
        }
    }

    private record Prepared(Outbound outbound, Call call) {
    }
}
