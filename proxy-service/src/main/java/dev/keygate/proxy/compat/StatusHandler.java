package dev.keygate.proxy.compat;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.keygate.proxy.clientauth.CallerAuthenticator;
import dev.keygate.proxy.clientauth.CallerRejectedException;
import dev.keygate.proxy.limits.RateLimitStatusSource;
import dev.keygate.proxy.system.ProxyProblems;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.info.BuildProperties;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * Seed 003's {@code GET /health} ({@code {"status":"healthy","timestamp":…,"version":…}}) and
 * {@code GET /api/rate-limit-status}: the authenticated caller's current allowance from the rate limiter
 * ({@link RateLimitStatusSource}), or {@code "limited": false} while none applies.
 */
@Component
class StatusHandler {

    private final CallerAuthenticator callers;
    private final ProxyProblems problems;
    private final ObjectProvider<RateLimitStatusSource> limits;
    private final String version;

    StatusHandler(CallerAuthenticator callers, ProxyProblems problems, ObjectProvider<RateLimitStatusSource> limits,
                  ObjectProvider<BuildProperties> build) {
        this.callers = callers;
        this.problems = problems;
        this.limits = limits;
        BuildProperties properties = build.getIfAvailable();
        String implementation = StatusHandler.class.getPackage().getImplementationVersion();
        this.version = properties != null ? properties.getVersion()
                : implementation != null ? implementation : "unknown";
    }

    Mono<ServerResponse> health(ServerRequest request) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "healthy");
        body.put("timestamp", Instant.now().toString());
        body.put("version", version);
        return ServerResponse.ok().cacheControl(CacheControl.noStore()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body);
    }

    /**
     * The caller's tightest limit; without a credential (seed 003's clients send none), the limit on the client's
     * address, which is what seed 003 itself limits.
     */
    Mono<ServerResponse> rateLimitStatus(ServerRequest request) {
        RateLimitStatusSource source = limits.getIfAvailable();
        if (CallerAuthenticator.credential(request.exchange().getRequest()) == null) {
            return status(source == null ? null : source.statusOf(request.exchange().getRequest()).orElse(null));
        }
        return callers.authenticate(request.exchange().getRequest())
                .flatMap(caller -> status(source == null ? null : source.statusOf(caller).orElse(null)))
                .onErrorResume(CallerRejectedException.class,
                        ex -> problems.respond(ProxyProblems.callerRejected(ex)));
    }

    private static Mono<ServerResponse> status(RateLimitStatusSource.RateLimitStatus status) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("limited", status != null);
        body.put("limit", status == null ? null : status.limit());
        body.put("remaining", status == null ? null : status.remaining());
        body.put("reset", status == null ? null : status.reset().toString());
        body.put("window_seconds", status == null ? null : status.windowSeconds());
        return ServerResponse.ok().cacheControl(CacheControl.noStore()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body);
    }
}
