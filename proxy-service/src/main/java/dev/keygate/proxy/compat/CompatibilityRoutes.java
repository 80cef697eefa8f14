package dev.keygate.proxy.compat;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/** The routes the seeds' own clients call, beside Keygate's {@code /api/proxy/{provider}/**}. */
@Configuration(proxyBeanMethods = false)
class CompatibilityRoutes {

    @Bean
    RouterFunction<ServerResponse> seedRoutes(EnvelopeHandler envelope, StatusHandler status,
                                                       AnalyticsQueryHandler analytics) {
        return RouterFunctions.route()
                .POST(EnvelopeHandler.PREFIX + "{provider}/**", envelope::forward)
                .GET("/health", status::health)
                .GET("/api/rate-limit-status", status::rateLimitStatus)
                .POST("/api/analytics-query", analytics::query)
                .build();
    }
}
