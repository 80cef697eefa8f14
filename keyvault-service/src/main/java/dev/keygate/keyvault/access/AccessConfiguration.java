package dev.keygate.keyvault.access;

import java.util.List;

import dev.keygate.keyvault.audit.AuditTrail;
import dev.keygate.keyvault.system.ProblemResponses;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.AuthenticationEntryPoint;

/**
 * Mutual TLS is required by the server ({@code server.ssl.client-auth=need}): a client without a certificate from
 * the trusted CA never completes the handshake. Here the certificate's identity is mapped to what it may do.
 */
@Configuration(proxyBeanMethods = false)
class AccessConfiguration {

    @Bean
    SecurityFilterChain vaultAccess(HttpSecurity http, AccessProperties access, AuditTrail audit,
                                    ProblemResponses problems) throws Exception {
        return http
                .csrf(csrf -> csrf.disable())
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .x509(x509 -> x509.x509PrincipalExtractor(new SpiffeIdExtractor())
                        .userDetailsService(identities(access)))
                .authorizeHttpRequests(requests -> requests
                        .requestMatchers(HttpMethod.POST, "/v1/resolve", "/v1/keys/*/rejected")
                        .hasAuthority(authority(AccessProperties.Permission.RESOLVE))
                        .requestMatchers("/v1/tenants/**", "/v1/audit").hasAuthority(authority(AccessProperties.Permission.MANAGE))
                        .requestMatchers("/v1/keyring", "/v1/keyring/**").hasAuthority(authority(AccessProperties.Permission.OPERATE))
                        .requestMatchers("/error").permitAll()
                        // Served only on the plain-HTTP management port (see management.server.port).
                        .requestMatchers("/actuator/health", "/actuator/health/**", "/actuator/info", "/actuator/prometheus")
                        .permitAll()
                        .anyRequest().denyAll())
                .exceptionHandling(errors -> errors
                        .authenticationEntryPoint(refusedIdentity(audit, problems))
                        .accessDeniedHandler(deniedOperation(audit, problems)))
                .build();
    }

    private static UserDetailsService identities(AccessProperties access) {
        return identity -> {
            AccessProperties.Permission permission = access.identities().get(identity);
            return User.withUsername(identity).password("")
                    .authorities(permission == null ? List.of() : List.of(new SimpleGrantedAuthority(authority(permission))))
                    .build();
        };
    }

    private static String authority(AccessProperties.Permission permission) {
        return "VAULT_" + permission.name();
    }

    private static AuthenticationEntryPoint refusedIdentity(AuditTrail audit, ProblemResponses problems) {
        return (request, response, ex) -> {
            audit.recordIndependently(action(request), "refused", "unidentified client", null, null, null, null,
                    ex.getMessage());
            problems.write(response, HttpStatus.UNAUTHORIZED, "Client identity required",
                    "Present a client certificate from the Keygate CA that names a spiffe:// identity.");
        };
    }

    private static AccessDeniedHandler deniedOperation(AuditTrail audit, ProblemResponses problems) {
        return (request, response, ex) -> {
            String caller = request.getUserPrincipal() == null ? "unknown" : request.getUserPrincipal().getName();
            audit.recordIndependently(action(request), "refused", caller, null, null, null, null,
                    request.getMethod() + " " + request.getRequestURI());
            problems.write(response, HttpStatus.FORBIDDEN, "Identity not allowed",
                    "The identity " + caller + " may not " + action(request) + " keys.");
        };
    }

    private static String action(HttpServletRequest request) {
        String path = request.getRequestURI();
        if (path.startsWith("/v1/resolve")) {
            return "decrypt";
        }
        return path.startsWith("/v1/keyring") ? "rotate" : "manage";
    }
}
