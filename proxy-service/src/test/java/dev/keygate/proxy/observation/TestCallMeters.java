package dev.keygate.proxy.observation;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Real {@link CallMeters} on a throwaway registry, for tests in other packages. */
public final class TestCallMeters {

    private TestCallMeters() {
    }

    public static CallMeters meters() {
        return new CallMeters(new SimpleMeterRegistry());
    }
}
