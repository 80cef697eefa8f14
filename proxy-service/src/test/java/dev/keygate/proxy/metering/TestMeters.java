package dev.keygate.proxy.metering;

import org.springframework.util.unit.DataSize;
import tools.jackson.databind.json.JsonMapper;

/** The real {@link UsageMeters} for tests in other packages. */
public final class TestMeters {

    private TestMeters() {
    }

    public static UsageMeters meters() {
        return new UsageMeters(JsonMapper.builder().build(), new MeteringProperties(DataSize.ofMegabytes(4)));
    }
}
