package dev.keygate.proxy.limits;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.keygate.contracts.admin.v1.ProxyKeyIssued;
import dev.keygate.contracts.usage.v1.BudgetState;
import dev.keygate.proxy.clientauth.Caller;
import dev.keygate.proxy.clientauth.ProxyKeyDirectory;
import dev.keygate.proxy.system.ProxyProblems;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Admits one authenticated call, in this order: the caller's tenant must allow the browser origin (if any), the
 * request limits must admit it (in-flight slots are given back when the exchange ends), the {@link BudgetAdmission}
 * hook must admit it, and a key with a model scope may only name its models. The body is read only for a key with
 * a model scope, bounded by the request size limit, and replayed to the provider unchanged.
 */
public class CallAdmission {

    /** Gemini names the model in the path: {@code /v1beta/models/gemini-2.0-flash:generateContent}. */
    private static final Pattern PATH_MODEL = Pattern.compile("/models/([^/:]+):[A-Za-z]+$");
    private static final int PARSE_INLINE_BYTES = 16 * 1024;

    private final RateLimiter limiter;
    private final BudgetAdmission budgets;
    private final ProxyKeyDirectory keys;
    private final CorsPolicy cors;
    private final JsonMapper json;
    private final long maxBodyBytes;
    private final PublishedBudgets published;
    private final BudgetShares shares;
    private final long defaultMaxOutputTokens;

    CallAdmission(RateLimiter limiter, BudgetAdmission budgets, ProxyKeyDirectory keys, CorsPolicy cors,
                  JsonMapper json, LimitsProperties properties) {
        this(limiter, budgets, keys, cors, json, properties, null, null, 0);
    }

    /**
     * @param published the hard budgets a call may have to reserve against; with {@code shares}, {@code null} to
     *                  reserve nothing
     * @param shares this instance's budget shares
     */
    CallAdmission(RateLimiter limiter, BudgetAdmission budgets, ProxyKeyDirectory keys, CorsPolicy cors,
                  JsonMapper json, LimitsProperties properties, PublishedBudgets published, BudgetShares shares,
                  long defaultMaxOutputTokens) {
        this.limiter = limiter;
        this.budgets = budgets;
        this.keys = keys;
        this.cors = cors;
        this.json = json;
        this.maxBodyBytes = properties.maxRequestBody().toBytes();
        this.published = published;
        this.shares = shares;
        this.defaultMaxOutputTokens = defaultMaxOutputTokens;
    }

    /**
     * What the call reserved against budget shares, to settle with the tokens it used and to name in its usage
     * event; {@code null} when it reserved nothing.
     */
    public static BudgetShares.Reservation reservationOf(ServerWebExchange exchange) {
        ExchangeLimits limits = ExchangeLimits.of(exchange);
        return limits == null ? null : limits.reservation();
    }

    /**
     * Completes with the request to forward (its body replayed if it had to be read), or errors with
     * {@link CallRefusedException}.
     *
     * @param path the path below the provider's prefix, e.g. {@code /v1/chat/completions}
     */
    public Mono<ServerRequest> admit(ServerRequest request, Caller caller, String provider, String path) {
        return admit(request, caller, provider, path, null);
    }

    /**
     * As {@link #admit(ServerRequest, Caller, String, String)} for a call whose provider body the proxy built itself
     * (seed 001's envelope, a query template): the model scope is checked against {@code providerBody} rather than
     * the request's own body, which is then left unread.
     *
     * @param providerBody the body that will be sent to the provider, or {@code null} for the request's own body
     */
    public Mono<ServerRequest> admit(ServerRequest request, Caller caller, String provider, String path,
                                     byte[] providerBody) {
        ExchangeLimits exchange = ExchangeLimits.of(request.exchange());
        if (exchange != null) {
            exchange.authenticated();
        }
        String origin = request.headers().firstHeader(HttpHeaders.ORIGIN);
        if (origin != null) {
            if (!cors.allows(caller.tenantId(), origin)) {
                return Mono.error(refusal("origin not allowed", problems -> problems.respond(
                        ProxyProblems.originNotAllowed(origin, caller.tenantId()))));
            }
            if (exchange != null) {
                exchange.allowOrigin(origin);
            }
        }
        Admission admission = limiter.admit(caller);
        if (exchange != null) {
            exchange.offer(admission.quota());
        }
        if (!admission.admitted()) {
            return Mono.error(refusal("rate limited", problems -> problems.respondRateLimited(admission.message(),
                    admission.fix(), admission.retryAfterSeconds())));
        }
        if (exchange != null) {
            exchange.onEnd(admission.release());
        }
        else {
            // Nobody would give the slots back at the end of this exchange; better not hold them at all.
            admission.release().run();
        }
        List<BudgetState> hard = shares == null || published == null || exchange == null ? List.of()
                : published.hardBudgetsOf(caller);
        return budgets.admit(caller, provider).flatMap(verdict -> verdict.admitted()
                ? (!hard.isEmpty() ? reserving(request, caller, path, providerBody, hard, exchange)
                        : providerBody == null ? models(request, caller, path)
                        : checkedBody(request, caller, path, providerBody))
                : Mono.error(refusal("budget", problems -> problems.respond(ProxyProblems.quotaExhausted(
                        verdict.message() + " It renews at the start of the next period; ask a tenant admin to raise "
                                + "the budget."), headers -> {
                            if (verdict.retryAfter() != null) {
                                headers.set(HttpHeaders.RETRY_AFTER,
                                        Long.toString(Math.max(1, verdict.retryAfter().toSeconds())));
                            }
                        }))));
    }

    /**
     * For a caller under hard budgets: reads the body (bounded), checks the model scope, and reserves the call's
     * worst case against this instance's share of each budget; the exchange settles it when it ends.
     */
    private Mono<ServerRequest> reserving(ServerRequest request, Caller caller, String path, byte[] providerBody,
                                          List<BudgetState> hard, ExchangeLimits exchange) {
        HttpHeaders headers = request.headers().asHttpHeaders();
        boolean hasBody = headers.getContentLength() > 0 || headers.containsHeader(HttpHeaders.TRANSFER_ENCODING);
        Mono<byte[]> body = providerBody != null ? Mono.just(providerBody)
                : hasBody ? read(request) : Mono.just(new byte[0]);
        return body.flatMap(bytes -> {
            Mono<ServerRequest> checked = providerBody != null ? checkedBody(request, caller, path, providerBody)
                    : checkedRead(request, caller, path, bytes);
            return checked.flatMap(admitted -> shares.reserve(hard, WorstCase.tokens(bytes, json, defaultMaxOutputTokens))
                    .onErrorMap(BudgetShares.Refused.class, ex -> refusal("budget", problems -> problems.respond(
                            ProxyProblems.quotaExhausted(ex.getMessage() + " Ask a tenant admin to raise the budget, or "
                                    + "send a lower max_tokens."), retryHeaders -> retryHeaders.set(HttpHeaders.RETRY_AFTER,
                                    Long.toString(Math.max(1, Duration.between(Instant.now(), ex.renewsAt())
                                            .toSeconds()))))))
                    .onErrorMap(TimeoutException.class, ex -> refusal("budget unavailable", problems -> problems.respond(
                            ProxyProblems.budgetsUnavailable(), retryHeaders -> retryHeaders.set(HttpHeaders.RETRY_AFTER,
                                    "1"))))
                    .map(reservation -> {
                        exchange.reserved(reservation);
                        return admitted;
                    }));
        });
    }

    private Mono<ServerRequest> checkedRead(ServerRequest request, Caller caller, String path, byte[] body) {
        List<String> scope = scope(caller);
        if (!scope.isEmpty()) {
            Matcher inPath = PATH_MODEL.matcher(path);
            if (inPath.find()) {
                return allowed(scope, inPath.group(1)) ? Mono.just(replay(request, body))
                        : Mono.error(modelRefusal(inPath.group(1), scope));
            }
            if (body.length > 0) {
                return checked(request, body, scope);
            }
        }
        return Mono.just(replay(request, body));
    }

    private static ServerRequest replay(ServerRequest request, byte[] body) {
        return body.length == 0 ? request : ServerRequest.from(request)
                .body(Flux.defer(() -> Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(body))))
                .build();
    }

    private Mono<byte[]> read(ServerRequest request) {
        return DataBufferUtils.join(request.bodyToFlux(DataBuffer.class), (int) Math.min(Integer.MAX_VALUE, maxBodyBytes))
                .map(CallAdmission::bytes)
                .defaultIfEmpty(new byte[0])
                .onErrorMap(DataBufferLimitException.class, ex -> refusal("too large",
                        problems -> problems.respond(ProxyProblems.payloadTooLarge(maxBodyBytes))));
    }

    /** Whether this caller may name this model (callers without a model scope may name any). */
    public boolean modelAllowed(Caller caller, String model) {
        return allowed(scope(caller), model);
    }

    private Mono<ServerRequest> checkedBody(ServerRequest request, Caller caller, String path, byte[] providerBody) {
        List<String> scope = scope(caller);
        if (scope.isEmpty()) {
            return Mono.just(request);
        }
        Matcher inPath = PATH_MODEL.matcher(path);
        if (inPath.find()) {
            return allowed(scope, inPath.group(1)) ? Mono.just(request) : Mono.error(modelRefusal(inPath.group(1), scope));
        }
        return checked(request, providerBody, scope).thenReturn(request);
    }

    private Mono<ServerRequest> models(ServerRequest request, Caller caller, String path) {
        List<String> scope = scope(caller);
        if (scope.isEmpty()) {
            return Mono.just(request);
        }
        Matcher inPath = PATH_MODEL.matcher(path);
        if (inPath.find()) {
            return allowed(scope, inPath.group(1)) ? Mono.just(request) : Mono.error(modelRefusal(inPath.group(1), scope));
        }
        HttpHeaders headers = request.headers().asHttpHeaders();
        if (headers.getContentLength() <= 0 && !headers.containsHeader(HttpHeaders.TRANSFER_ENCODING)) {
            // Nothing to generate with (listing models, fetching a file): the scope does not apply.
            return Mono.just(request);
        }
        return DataBufferUtils.join(request.bodyToFlux(DataBuffer.class), (int) Math.min(Integer.MAX_VALUE, maxBodyBytes))
                .map(CallAdmission::bytes)
                .defaultIfEmpty(new byte[0])
                .onErrorMap(DataBufferLimitException.class, ex -> refusal("too large",
                        problems -> problems.respond(ProxyProblems.payloadTooLarge(maxBodyBytes))))
                .flatMap(body -> body.length > PARSE_INLINE_BYTES
                        // Parsing is CPU only, but a large body would hold the event loop for milliseconds.
                        ? Mono.defer(() -> checked(request, body, scope)).subscribeOn(Schedulers.parallel())
                        : checked(request, body, scope));
    }

    private Mono<ServerRequest> checked(ServerRequest request, byte[] body, List<String> scope) {
        String model;
        try {
            JsonNode tree = json.readTree(body);
            JsonNode named = tree == null ? null : tree.get("model");
            model = named != null && named.isString() ? named.asString() : null;
        }
        catch (JacksonException ex) {
            return Mono.error(refusal("invalid json", problems -> problems.respond(ProxyProblems.invalidJson(
                    "This proxy key is limited to certain models, so its requests must be a JSON object with a "
                            + "\"model\" field; the body is not valid JSON."))));
        }
        if (model == null) {
            return Mono.error(refusal("no model", problems -> problems.respond(ProxyProblems.modelNotAllowed(
                    "This proxy key may only call the models " + scope + "; name one in the request's \"model\" "
                            + "field."))));
        }
        if (!allowed(scope, model)) {
            return Mono.error(modelRefusal(model, scope));
        }
        return Mono.just(ServerRequest.from(request)
                .body(Flux.defer(() -> Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(body))))
                .build());
    }

    private List<String> scope(Caller caller) {
        if (caller.proxyKeyId() == null) {
            return List.of();
        }
        return keys.issued(caller.proxyKeyId()).map(ProxyKeyIssued::models).orElse(List.of());
    }

    /** Exact names; an entry ending in {@code *} allows every model starting with what precedes it. */
    private static boolean allowed(List<String> scope, String model) {
        if (scope.isEmpty()) {
            return true;
        }
        for (String entry : scope) {
            if (entry.endsWith("*") ? model.startsWith(entry.substring(0, entry.length() - 1)) : entry.equals(model)) {
                return true;
            }
        }
        return false;
    }

    private static CallRefusedException modelRefusal(String model, List<String> scope) {
        String shown = model.length() > 100 ? model.substring(0, 100) + "…" : model;
        return refusal("model not allowed", problems -> problems.respond(ProxyProblems.modelNotAllowed(
                "This proxy key may not call the model '" + shown + "'. Use one of " + scope
                        + ", or ask the key's owner for a key that allows it.")));
    }

    private static CallRefusedException refusal(String reason,
                                                Function<ProxyProblems, Mono<ServerResponse>> response) {
        return new CallRefusedException(reason, response);
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
