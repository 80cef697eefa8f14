package dev.keygate.proxy.system;

import io.micrometer.observation.Observation;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.handler.TracingObservationHandler;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.web.server.ServerWebExchange;
import reactor.util.context.ContextView;

/**
 * The trace id of the call being served, read from its server observation (the span Micrometer Tracing opened for
 * it, sampled or not, continuing the caller's {@code traceparent} when there is one) rather than from a ThreadLocal:
 * with {@code spring.reactor.context-propagation: limited} ThreadLocals are not restored in handler code.
 */
public final class TraceIds {

    private TraceIds() {
    }

    /** The exchange's trace id, or {@code null} when it is not observed or tracing is off. */
    public static String of(ServerWebExchange exchange) {
        return of(span(exchange));
    }

    /** The span of the exchange's server observation, or {@code null} when it is not observed or tracing is off. */
    public static Span span(ServerWebExchange exchange) {
        return ServerRequestObservationContext.findCurrent(exchange.getAttributes())
                .map(TraceIds::span).orElse(null);
    }

    /** The trace id of the observation in a Reactor context (WebFlux puts the server's there), or {@code null}. */
    public static String of(ContextView context) {
        Observation observation = context.getOrDefault(ObservationThreadLocalAccessor.KEY, null);
        return observation == null || observation.isNoop() ? null : of(observation.getContextView());
    }

    private static String of(Observation.ContextView context) {
        return of(span(context));
    }

    private static Span span(Observation.ContextView context) {
        TracingObservationHandler.TracingContext tracing = context.get(TracingObservationHandler.TracingContext.class);
        return tracing == null ? null : tracing.getSpan();
    }

    /**
     * The span's trace id, or {@code null} for none or a no-op span (whose id is empty). A span that is not sampled
     * still has its trace's id (Span#isNoop() is true for it, so that is not the test).
     */
    public static String of(Span span) {
        String traceId = span == null ? null : span.context().traceId();
        return traceId == null || traceId.isEmpty() ? null : traceId;
    }
}
