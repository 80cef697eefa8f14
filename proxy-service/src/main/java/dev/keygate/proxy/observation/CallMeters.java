package dev.keygate.proxy.observation;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.springframework.stereotype.Component;

/**
 * The proxy's per-call meters, recorded once when a provider's answer has ended:
 * {@code keygate.proxy.requests} (duration from receipt to the answer's end, tagged {@code provider}, {@code model},
 * {@code status} class and {@code outcome}) and {@code keygate.proxy.ttfb} (receipt to the provider's first byte,
 * tagged {@code provider} and {@code model}). Tags stay low-cardinality: a provider outside the catalog is
 * {@code custom}, a model outside the catalog {@code other}; no caller, key or tenant ever becomes a tag.
 * Recording is a map lookup and a timer update, safe on an event-loop thread.
 */
@Component
public class CallMeters {

    static final String REQUESTS = "keygate.proxy.requests";
    static final String TTFB = "keygate.proxy.ttfb";
    static final String STREAMS_CUT = "keygate.proxy.limits.streams.cut";
    /** The provider tag of a tenant's own provider. */
    public static final String CUSTOM_PROVIDER = "custom";
    /** Bucket bounds instead of a full percentile histogram: a dozen series per tag set, enough for p50 to p99. */
    private static final Duration[] BUCKETS = {Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
            Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60),
            Duration.ofSeconds(120), Duration.ofSeconds(300)};
    private static final String[] STATUS_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};

    private final MeterRegistry registry;
    private final CatalogModels models = new CatalogModels();
    private final Map<Key, Timer> requests = new ConcurrentHashMap<>();
    private final Map<Key, Timer> firstBytes = new ConcurrentHashMap<>();

    CallMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * Records one answered call.
     *
     * @param provider the catalog's provider or tool id, or {@link #CUSTOM_PROVIDER}
     * @param model the model the answer named, {@code null} for none
     * @param status the provider's HTTP status, as relayed to the caller
     * @param durationNanos receipt of the call to the end of the answer
     * @param firstByteNanos receipt of the call to the provider's first byte; negative when no byte came
     */
    public void record(String provider, String model, int status, long durationNanos, long firstByteNanos) {
        String modelTag = models.tag(provider, model);
        int statusClass = Math.max(1, Math.min(5, status / 100));
        requests.computeIfAbsent(new Key(provider, modelTag, statusClass), this::requestTimer)
                .record(durationNanos, TimeUnit.NANOSECONDS);
        if (firstByteNanos >= 0) {
            firstBytes.computeIfAbsent(new Key(provider, modelTag, 0), this::firstByteTimer)
                    .record(firstByteNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Counts a stream ended at an event boundary because its hard budget could not cover more. */
    public void streamCut(String provider) {
        registry.counter(STREAMS_CUT, "provider", provider).increment();
    }

    CatalogModels models() {
        return models;
    }

    private Timer requestTimer(Key key) {
        return Timer.builder(REQUESTS)
                .description("Proxied calls answered by a provider, receipt to the end of the answer")
                .tag("provider", key.provider()).tag("model", key.model())
                .tag("status", STATUS_CLASSES[key.statusClass() - 1])
                .tag("outcome", key.statusClass() == 2 || key.statusClass() == 3 ? "success"
                        : key.statusClass() == 4 ? "client_error" : key.statusClass() == 5 ? "server_error" : "other")
                .serviceLevelObjectives(BUCKETS)
                .register(registry);
    }

    private Timer firstByteTimer(Key key) {
        return Timer.builder(TTFB)
                .description("Receipt of a proxied call to the provider's first byte")
                .tag("provider", key.provider()).tag("model", key.model())
                .serviceLevelObjectives(BUCKETS)
                .register(registry);
    }

    private record Key(String provider, String model, int statusClass) {
    }
}
