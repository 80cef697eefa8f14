package dev.keygate.admin.system;

import java.util.Collection;
import java.util.List;
import java.util.Map;

import dev.keygate.oidc.RealmTokenConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.convert.converter.Converter;
import org.springframework.http.HttpMethod;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.config.ObjectPostProcessor;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import org.springframework.security.oauth2.server.resource.web.authentication.BearerTokenAuthenticationFilter;
import org.springframework.security.web.SecurityFilterChain;

/**
 * admin-service is an OIDC resource server for Keycloak: the issuer and audience are checked by Spring Security
 * (see {@code spring.security.oauth2.resourceserver.jwt}; keys kept through a Keycloak outage by
 * {@link RealmTokenConfiguration}); realm roles become {@code ROLE_<name>} authorities.
 */
@Configuration(proxyBeanMethods = false)
@Import(RealmTokenConfiguration.class)
class SecurityConfiguration {

    static final String DEVELOPER = "developer";
    static final String PLATFORM_ADMIN = "platform-admin";
    static final String ANALYST = "analyst";

    @Bean
    SecurityFilterChain api(HttpSecurity http, ProblemResponses problems) throws Exception {
        return http
                .csrf(csrf -> csrf.disable())
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .authorizeHttpRequests(requests -> requests
                        .requestMatchers("/actuator/health/**", "/actuator/info", "/actuator/prometheus").permitAll()
                        .requestMatchers("/error").permitAll()
                        .requestMatchers("/v3/api-docs", "/v3/api-docs/**").permitAll()
                        // License activation: devices have a license key, not a Keycloak account (seed 001).
                        .requestMatchers(HttpMethod.POST, "/activate", "/api/v1/activations").permitAll()
                        .requestMatchers("/api/v1/licenses/**").hasRole(PLATFORM_ADMIN)
                        .requestMatchers("/api/v1/me/**", "/api/v1/proxy-keys/**")
                        .hasAnyRole(DEVELOPER, PLATFORM_ADMIN)
                        // Provider catalog (seed 002): every signed-in role reads it; PUT may store the caller's own key,
                        // and ProviderController lets only platform admins change the provider itself.
                        .requestMatchers(HttpMethod.GET, "/api/v1/providers/**")
                        .hasAnyRole(DEVELOPER, PLATFORM_ADMIN, ANALYST)
                        .requestMatchers(HttpMethod.PUT, "/api/v1/providers/*")
                        .hasAnyRole(DEVELOPER, PLATFORM_ADMIN)
                        // Analysts read the limits they report against; only platform admins change them.
                        .requestMatchers(HttpMethod.GET, "/api/v1/quota-policies", "/api/v1/quota-policies/**")
                        .hasAnyRole(ANALYST, PLATFORM_ADMIN)
                        .anyRequest().hasRole(PLATFORM_ADMIN))
                .oauth2ResourceServer(oauth -> oauth
                        .jwt(jwt -> jwt.jwtAuthenticationConverter(realmRoles()))
                        // Also for failures that are not the token's fault (Keycloak unreachable): 503, not a 500.
                        .withObjectPostProcessor(new ObjectPostProcessor<BearerTokenAuthenticationFilter>() {
                            @Override
                            public <O extends BearerTokenAuthenticationFilter> O postProcess(O filter) {
                                filter.setAuthenticationFailureHandler(problems::unauthorized);
                                return filter;
                            }
                        })
                        .authenticationEntryPoint(problems::unauthorized)
                        .accessDeniedHandler(problems::forbidden))
                .exceptionHandling(errors -> errors.accessDeniedHandler(problems::forbidden))
                .build();
    }

    static Converter<Jwt, AbstractAuthenticationToken> realmRoles() {
        return jwt -> new JwtAuthenticationToken(jwt, roles(jwt), jwt.getSubject());
    }

    private static Collection<GrantedAuthority> roles(Jwt jwt) {
        Map<String, Object> realmAccess = jwt.getClaimAsMap("realm_access");
        if (realmAccess == null || !(realmAccess.get("roles") instanceof List<?> roles)) {
            return List.of();
        }
        return roles.stream()
                .map(String::valueOf)
                .map(role -> (GrantedAuthority) new SimpleGrantedAuthority("ROLE_" + role))
                .toList();
    }
}
