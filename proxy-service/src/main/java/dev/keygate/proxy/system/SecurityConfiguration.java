package dev.keygate.proxy.system;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.firewall.ServerExchangeRejectedHandler;

/**
 * Proxied routes authenticate their callers themselves ({@code clientauth}), because provider SDKs put the
 * credential in provider-specific places; Spring Security only closes everything else.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    @Bean
    SecurityWebFilterChain proxySecurity(ServerHttpSecurity http, ProxyProblems problems) {
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
                // Every other path is a problem+json 404 like the rest of the proxy's refusals (it was an empty 401).
                .exceptionHandling(handling -> handling
                        .authenticationEntryPoint((exchange, ex) -> problems.write(exchange, ProxyProblems.noSuchRoute()))
                        .accessDeniedHandler((exchange, ex) -> problems.write(exchange, ProxyProblems.noSuchRoute())))
                .build();
    }

    /**
     * The firewall refuses paths with dot segments, encoded slashes and the like before routing; its default answer
     * was an empty 400, which SDKs show as an unexplained failure. Same status, now problem+json naming the fix.
     */
    @Bean
    ServerExchangeRejectedHandler problemOnFirewallRejection(ProxyProblems problems) {
        return (exchange, ex) -> problems.write(exchange, ProxyProblems.requestRejected());
    }
}
