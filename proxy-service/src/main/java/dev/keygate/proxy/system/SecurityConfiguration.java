package dev.keygate.proxy.system;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.web.server.SecurityWebFilterChain;

/**
 * Proxied routes authenticate their callers themselves ({@code clientauth}), because provider SDKs put the
 * credential in provider-specific places; Spring Security only closes everything else.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    @Bean
    SecurityWebFilterChain proxySecurity(ServerHttpSecurity http) {
        return http
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .requestCache(ServerHttpSecurity.RequestCacheSpec::disable)
                .authorizeExchange(exchanges -> exchanges
                        .pathMatchers("/api/proxy/**").permitAll()
                        // Seed compatibility routes: they authenticate their callers themselves too.
                        .pathMatchers("/proxy/**", "/health", "/api/rate-limit-status", "/api/analytics-query")
                        .permitAll()
                        .pathMatchers("/actuator/health/**", "/actuator/health", "/actuator/info", "/actuator/prometheus")
                        .permitAll()
                        .anyExchange().denyAll())
                .build();
    }
}
