package dev.keygate.proxy.limits;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import dev.keygate.proxy.clientauth.ProxyKeyDirectory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.json.JsonMapper;

/**
 * The real call admission with the default limits and no budgets, for slice tests of routes in other packages:
 * model scopes of the directory's keys apply, nothing else refuses a test's few calls.
 */
public final class TestAdmission {

    private TestAdmission() {
    }

    public static CallAdmission admission(ProxyKeyDirectory keys) {
        LimitsProperties properties = new LimitsProperties(new LimitsProperties.Ip(1200, Duration.ofSeconds(60), 30),
                64, 128, DataSize.ofMegabytes(10), Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofSeconds(30),
                new LimitsProperties.Cors(Map.of(), Duration.ofMinutes(10)));
        RateLimiter limiter = new RateLimiter(properties, new QuotaPolicies(), keys, Clock.systemUTC(),
                new SimpleMeterRegistry());
        return new CallAdmission(limiter, (caller, provider) -> reactor.core.publisher.Mono.just(
                BudgetAdmission.Verdict.ADMITTED), keys, new CorsPolicy(properties.cors()), JsonMapper.builder().build(),
                properties);
    }
}
