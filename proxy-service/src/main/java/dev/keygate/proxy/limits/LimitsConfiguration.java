package dev.keygate.proxy.limits;

import java.time.Clock;

import java.util.UUID;

import dev.keygate.contracts.Topics;
import dev.keygate.proxy.clientauth.ProxyKeyDirectory;
import dev.keygate.proxy.system.ProxyProblems;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.codec.ServerCodecConfigurer;
import org.springframework.kafka.core.KafkaTemplate;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/** Wires the limiter, its web filter and the admission used by the forwarding routes. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({LimitsProperties.class, BudgetShareProperties.class})
class LimitsConfiguration {

    private static final Logger log = LoggerFactory.getLogger(LimitsConfiguration.class);

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

    /**
     * Bounds how long a client may take to send its request body. Reactor Netty waits forever by default, so a
     * caller that sent headers and then stalled held its connection (and, with a valid key, an upstream call) open
     * until the provider's response timeout; the abuse suite's slow-loris test caught it.
     */
    @Bean
    NettyServerCustomizer bodyReadTimeouts(LimitsProperties properties) {
        return server -> server.readTimeout(properties.bodyReadTimeout()).requestTimeout(properties.maxBodyReadTime());
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
    CallAdmission callAdmission(RateLimiter limiter, PublishedBudgets budgets, ObjectProvider<BudgetShares> shares,
                                ProxyKeyDirectory keys, CorsPolicy cors, JsonMapper json, LimitsProperties properties,
                                BudgetShareProperties shareProperties, MeterRegistry meters) {
        return new CallAdmission(limiter, counting(budgets, meters), keys, cors, json, properties, budgets,
                shares.getIfAvailable(), shareProperties.defaultMaxOutputTokens());
    }

    /**
     * This instance's budget shares; requests and releases go to usage-service on Kafka, sent off the event loop
     * (a producer may wait for metadata).
     */
    @Bean
    @ConditionalOnBooleanProperty(name = "keygate.proxy.budgets.enabled", matchIfMissing = true)
    BudgetShares budgetShares(KafkaTemplate<String, String> kafka, JsonMapper json, BudgetShareProperties properties,
                              @Value("${keygate.proxy.region:local}") String region, MeterRegistry meters) {
        String instance = region + "/" + UUID.randomUUID();
        Counter refused = meters.counter("keygate.proxy.limits.refused", "kind", "budget");
        return new BudgetShares(instance, region, message -> Mono.fromFuture(() -> kafka.send(
                        Topics.PROXY_BUDGET_SHARE_REQUESTS, message.budgetKey(), json.writeValueAsString(message)))
                .subscribeOn(Schedulers.boundedElastic())
                .subscribe(sent -> { }, failure -> log.warn("Budget share message for {} not sent: {}",
                        message.budgetKey(), failure.getMessage())), Clock.systemUTC(), properties.shareWait(),
                refused::increment);
    }

    /** Gives back expired shares every second, off the request path. */
    @Bean(destroyMethod = "dispose")
    @ConditionalOnBooleanProperty(name = "keygate.proxy.budgets.enabled", matchIfMissing = true)
    Disposable budgetShareSweeper(BudgetShares shares) {
        return Schedulers.single().schedulePeriodically(shares::sweep, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
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
