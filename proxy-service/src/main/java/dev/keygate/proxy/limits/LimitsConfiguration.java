package dev.keygate.proxy.limits;

import java.time.Clock;

import dev.keygate.proxy.clientauth.ProxyKeyDirectory;
import dev.keygate.proxy.system.ProxyProblems;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.codec.ServerCodecConfigurer;
import reactor.core.Disposable;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/** Wires the limiter, its web filter and the admission used by the forwarding routes. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(LimitsProperties.class)
class LimitsConfiguration {

    @Bean
    RateLimiter rateLimiter(LimitsProperties properties, QuotaPolicies policies, ProxyKeyDirectory keys,
                            MeterRegistry meters) {
        return new RateLimiter(properties, policies, keys, Clock.systemUTC(), meters);
    }

    /** Drops counters of past windows off the request path, so memory follows active subjects only. */
    @Bean(destroyMethod = "dispose")
    Disposable rateLimiterSweeper(RateLimiter limiter, LimitsProperties properties) {
        long every = properties.sweepInterval().toMillis();
        return Schedulers.single().schedulePeriodically(limiter::sweep, every, every,
                java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Bean
    CorsPolicy corsPolicy(LimitsProperties properties) {
        return new CorsPolicy(properties.cors());
    }

    @Bean
    LimitsWebFilter limitsWebFilter(RateLimiter limiter, CorsPolicy cors, LimitsProperties properties,
                                    ProxyProblems problems, ServerCodecConfigurer codecs) {
        return new LimitsWebFilter(limiter, cors, properties, problems, codecs);
    }

    @Bean
    CallAdmission callAdmission(RateLimiter limiter, BudgetAdmission budgets, ProxyKeyDirectory keys, CorsPolicy cors,
                                JsonMapper json, LimitsProperties properties, MeterRegistry meters) {
        return new CallAdmission(limiter, counting(budgets, meters), keys, cors, json, properties);
    }

    /** Counts budget refusals as {@code keygate.proxy.limits.refused{kind=budget}}, beside the request limits'. */
    private static BudgetAdmission counting(BudgetAdmission budgets, MeterRegistry meters) {
        Counter refused = meters.counter("keygate.proxy.limits.refused", "kind", "budget");
        return (caller, provider) -> budgets.admit(caller, provider).doOnNext(verdict -> {
            if (!verdict.admitted()) {
                refused.increment();
            }
        });
    }

    /** Refuses calls of subjects whose hard budget usage-service published as exhausted. */
    @Bean
    PublishedBudgets budgetAdmission() {
        return new PublishedBudgets(java.time.Clock.systemUTC());
    }
}
