package dev.keygate.proxy.observation;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.keygate.contracts.admin.v1.ModelPriced;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CallMetersTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final CallMeters meters = new CallMeters(registry);

    @Test
    void tagsCatalogModelsAndTheirSnapshotsByName() {
        priced(null, "openai", "gpt-4o-mini");
        priced(null, "openai", "gpt-4o");

        meters.record("openai", "gpt-4o-mini", 200, ms(120), ms(30));
        meters.record("openai", "gpt-4o-mini-2024-07-18", 200, ms(80), ms(20));
        meters.record("openai", "gpt-4o-2024-08-06", 503, ms(10), -1);

        Timer mini = registry.get(CallMeters.REQUESTS).tags("provider", "openai", "model", "gpt-4o-mini",
                "status", "2xx", "outcome", "success").timer();
        assertThat(mini.count()).isEqualTo(2);
        assertThat(mini.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(200);
        assertThat(registry.get(CallMeters.REQUESTS).tags("model", "gpt-4o", "status", "5xx",
                "outcome", "server_error").timer().count()).isEqualTo(1);
        assertThat(registry.get(CallMeters.TTFB).tags("provider", "openai", "model", "gpt-4o-mini").timer().count())
                .isEqualTo(2);
        assertThat(registry.find(CallMeters.TTFB).tags("model", "gpt-4o").timer())
                .as("no first byte, no time to first byte").isNull();
    }

    @Test
    void anyOtherModelNameIsOtherSoTagsStayBounded() {
        priced(null, "openai", "gpt-4o-mini");
        priced("tenant-acme", "openai", "acme-finetune");

        for (int i = 0; i < 500; i++) {
            meters.record("openai", "made-up-" + i, 200, ms(5), ms(1));
        }
        meters.record("openai", "acme-finetune", 200, ms(5), ms(1));
        meters.record("openai", "gpt-4o-minimal", 400, ms(5), ms(1));
        meters.record("openai", null, 200, ms(5), ms(1));

        assertThat(registry.get(CallMeters.REQUESTS).tags("model", "other", "status", "2xx").timer().count())
                .as("a tenant's own model is not a tag either").isEqualTo(501);
        assertThat(registry.get(CallMeters.REQUESTS).tags("model", "other", "status", "4xx").timer().count())
                .as("a name merely starting like a catalog model is not that model").isEqualTo(1);
        assertThat(registry.get(CallMeters.REQUESTS).tags("model", "none").timer().count()).isEqualTo(1);
        assertThat(registry.find(CallMeters.REQUESTS).timers()).hasSize(3);
    }

    @Test
    void reusesOneTimerPerTagSet() {
        meters.record("anthropic", "claude", 200, ms(1), ms(1));
        Meter first = registry.get(CallMeters.REQUESTS).timer();
        meters.record("anthropic", "claude", 201, ms(1), ms(1));

        assertThat(registry.get(CallMeters.REQUESTS).timers()).containsExactly((Timer) first);
        assertThat(((Timer) first).count()).isEqualTo(2);
    }

    private void priced(String tenant, String provider, String model) {
        meters.models().apply(new ModelPriced(UUID.randomUUID(), null, 0, Instant.now(), UUID.randomUUID(), tenant,
                provider, model, Instant.EPOCH, null, BigDecimal.ONE, BigDecimal.TEN, null, null));
    }

    private static long ms(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }
}
