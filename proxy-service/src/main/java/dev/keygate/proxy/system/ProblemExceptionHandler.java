package dev.keygate.proxy.system;

import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;

/**
 * Answers WebFlux's own refusals (no route for a permitted path such as {@code GET /proxy/nosuch/x}, a method a route
 * does not take, an unreadable body) as problem+json, like every other refusal of the proxy; Boot's default handler
 * answered them with its own error JSON. Runs before that handler, which still takes everything else.
 */
@Component
@Order(-2)
class ProblemExceptionHandler implements WebExceptionHandler {

    private final ProxyProblems problems;

    ProblemExceptionHandler(ProxyProblems problems) {
        this.problems = problems;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable ex) {
        if (!(ex instanceof ResponseStatusException status) || exchange.getResponse().isCommitted()
                || status.getStatusCode().is5xxServerError()) {
            return Mono.error(ex);
        }
        if (status.getStatusCode().value() == HttpStatus.NOT_FOUND.value()) {
            return problems.write(exchange, ProxyProblems.noSuchRoute());
        }
        return problems.write(exchange, ProxyProblems.requestNotSupported(status.getStatusCode()));
    }
}
