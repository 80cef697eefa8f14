package dev.keygate.proxy.system;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.firewall.ServerExchangeRejectedHandler;
import org.springframework.security.web.server.util.matcher.NegatedServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatchers;

/**
 * Proxied routes authenticate their callers themselves ({@code clientauth}), because provider SDKs put the
 * credential in provider-specific places; Spring Security only closes everything else.
 *
 * <p>The self-authenticating routes do not pass through Spring Security's filter chain at all: for them it only
 * permitted the request and wrote its default response headers, at about a seventh of the proxy's CPU per call
 * (docs/benchmarks.md). {@link SelfAuthenticatedRouteHeaders} writes the same headers with the same writers.
 * Spring Security's firewall still sees every request: its {@code WebFilterChainProxy} applies it before choosing a
 * chain.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    /** Routes that authenticate their callers themselves: Keygate's provider and tool routes and the seeds' routes. */
    static final ServerWebExchangeMatcher SELF_AUTHENTICATED = ServerWebExchangeMatchers.pathMatchers(
            "/api/proxy/**", "/proxy/**", "/health", "/api/rate-limit-status", "/api/analytics-query");

    @Bean
    SecurityWebFilterChain proxySecurity(ServerHttpSecurity http, ProxyProblems problems) {
        return http
                .securityMatcher(new NegatedServerWebExchangeMatcher(SELF_AUTHENTICATED))
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .requestCache(ServerHttpSecurity.RequestCacheSpec::disable)
                .authorizeExchange(exchanges -> exchanges
                        .pathMatchers("/actuator/health/**", "/actuator/health", "/actuator/info", "/actuator/prometheus")
                        .permitAll()
                        .anyExchange().denyAll())
                // Every other path is a problem+json 404 like the rest of the proxy's refusals (it was an empty 401).
                .exceptionHandling(handling -> handling
                        .authenticationEntryPoint((exchange, ex) -> problems.write(exchange, ProxyProblems.noSuchRoute()))
                        .accessDeniedHandler((exchange, ex) -> problems.write(exchange, ProxyProblems.noSuchRoute())))
                .build();
    }

    @Bean
    SelfAuthenticatedRouteHeaders selfAuthenticatedRouteHeaders() {
        return new SelfAuthenticatedRouteHeaders(SELF_AUTHENTICATED);
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
