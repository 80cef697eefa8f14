package dev.keygate.proxy.limits;

import java.util.function.Function;

import dev.keygate.proxy.system.ProxyProblems;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/** {@link CallAdmission} refused a call; {@link #respond} writes the refusal (429, 403, 413 or 400). */
public class CallRefusedException extends RuntimeException {

    private final transient Function<ProxyProblems, Mono<ServerResponse>> response;

    CallRefusedException(String reason, Function<ProxyProblems, Mono<ServerResponse>> response) {
        super(reason, null, false, false);
        this.response = response;
    }

    public Mono<ServerResponse> respond(ProxyProblems problems) {
        return response.apply(problems);
    }
}
