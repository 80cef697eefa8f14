package dev.keygate.proxy.limits;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * What the limits decided for one exchange: the most restrictive window to show in the {@code X-RateLimit-*}
 * headers, the browser origin allowed to read the answer, and the in-flight slots to give back when the exchange
 * ends. Written into the response just before it is committed, whoever writes it (the provider's answer or a
 * problem of the proxy).
 */
final class ExchangeLimits {

    static final String LIMIT = "X-RateLimit-Limit";
    static final String REMAINING = "X-RateLimit-Remaining";
    static final String RESET = "X-RateLimit-Reset";
    private static final String ATTRIBUTE = ExchangeLimits.class.getName();
    private static final String EXPOSED = String.join(", ", LIMIT, REMAINING, RESET, HttpHeaders.RETRY_AFTER);

    private volatile Quota quota;
    private volatile String allowedOrigin;
    private volatile boolean authenticated;
    private final List<Runnable> releases = new CopyOnWriteArrayList<>();
    private volatile BudgetShares.Reservation reservation;

    static ExchangeLimits install(ServerWebExchange exchange) {
        ExchangeLimits limits = new ExchangeLimits();
        exchange.getAttributes().put(ATTRIBUTE, limits);
        exchange.getResponse().beforeCommit(() -> {
            limits.writeTo(exchange.getResponse().getHeaders());
            return Mono.empty();
        });
        return limits;
    }

    /** The exchange's state, or {@code null} when {@link LimitsWebFilter} did not see the exchange. */
    static ExchangeLimits of(ServerWebExchange exchange) {
        return exchange.getAttribute(ATTRIBUTE);
    }

    synchronized void offer(Quota offered) {
        quota = Quota.tighter(quota, offered);
    }

    /** The caller's credential was accepted: a 401 on this exchange is the provider's, not the caller's. */
    void authenticated() {
        authenticated = true;
    }

    boolean wasAuthenticated() {
        return authenticated;
    }

    void allowOrigin(String origin) {
        allowedOrigin = origin;
    }

    void onEnd(Runnable release) {
        releases.add(release);
    }

    /**
     * The call's budget reservation: if the provider never answered, it is settled at the end as if all was used;
     * otherwise the answer's usage settles it.
     */
    void reserved(BudgetShares.Reservation reserved) {
        reservation = reserved;
    }

    BudgetShares.Reservation reservation() {
        return reservation;
    }

    void end() {
        releases.forEach(Runnable::run);
        releases.clear();
        BudgetShares.Reservation held = reservation;
        if (held != null) {
            held.settleUnlessAnswered();
        }
    }

    void writeTo(HttpHeaders headers) {
        Quota shown = quota;
        if (shown != null) {
            headers.set(LIMIT, Long.toString(shown.limit()));
            headers.set(REMAINING, Long.toString(shown.remaining()));
            headers.set(RESET, shown.resetAt().toString());
        }
        // The proxy alone decides which pages may read an answer: a provider's own CORS headers never pass.
        List<String> names = List.copyOf(headers.headerNames());
        for (String name : names) {
            if (name.toLowerCase(Locale.ROOT).startsWith("access-control-")) {
                headers.remove(name);
            }
        }
        String origin = allowedOrigin;
        if (origin != null) {
            headers.set(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.set(HttpHeaders.ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSED);
            headers.add(HttpHeaders.VARY, HttpHeaders.ORIGIN);
        }
    }
}
