package dev.keygate.usage.dashboard;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import dev.keygate.usage.system.InvalidRequestException;
import dev.keygate.usage.system.ProblemResponses;
import io.swagger.v3.oas.annotations.Hidden;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.view.RedirectView;

/**
 * Serves the analytics dashboard (static files under {@code static/dashboard}), the sign-in settings it needs, and a
 * same-origin relay to Keycloak's token endpoint. The page runs the authorization code flow with PKCE itself; the relay
 * exists because Keycloak derives a public client's allowed CORS origins from its redirect URIs, and the realm's
 * port-less loopback redirect URIs ({@code http://127.0.0.1/*}) yield no origin that matches a page on a real port.
 * The relay forwards only code and refresh-token grants of the dashboard's own public client; it holds no secret.
 * When Keycloak is unreachable it answers 503 problem+json, which the page shows.
 */
@RestController
@Hidden
class DashboardController {

    private static final Logger log = LoggerFactory.getLogger(DashboardController.class);

    private static final Set<String> RELAYED = Set.of("grant_type", "code", "redirect_uri", "code_verifier",
            "refresh_token", "client_id");

    private final String issuer;
    private final URI tokenEndpoint;
    private final String clientId;
    private final ProblemResponses problems;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    DashboardController(@Value("${spring.security.oauth2.resourceserver.jwt.issuer-uri}") String issuer,
                        @Value("${keygate.oidc.internal-url:}") String internalUrl,
                        @Value("${keygate.dashboard.client-id:keygate-frontend}") String clientId,
                        ProblemResponses problems) {
        this.issuer = withoutTrailingSlash(issuer);
        // The browser goes to the public issuer; this relay reaches Keycloak the way the service does.
        this.tokenEndpoint = URI.create((internalUrl.isBlank() ? this.issuer : withoutTrailingSlash(internalUrl))
                + "/protocol/openid-connect/token");
        this.clientId = clientId;
        this.problems = problems;
    }

    @GetMapping("/dashboard")
    RedirectView dashboard() {
        RedirectView redirect = new RedirectView("/dashboard/", true);
        redirect.setStatusCode(HttpStatus.FOUND);
        return redirect;
    }

    @GetMapping("/dashboard/")
    org.springframework.web.servlet.ModelAndView page() {
        return new org.springframework.web.servlet.ModelAndView("forward:/dashboard/index.html");
    }

    @GetMapping(value = "/dashboard/config.json", produces = MediaType.APPLICATION_JSON_VALUE)
    Map<String, String> config() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("authorization_endpoint", issuer + "/protocol/openid-connect/auth");
        config.put("logout_endpoint", issuer + "/protocol/openid-connect/logout");
        config.put("client_id", clientId);
        return config;
    }

    @PostMapping(value = "/dashboard/token", consumes = MediaType.APPLICATION_FORM_URLENCODED_VALUE)
    ResponseEntity<?> token(@RequestBody MultiValueMap<String, String> form) throws InterruptedException {
        String grant = form.getFirst("grant_type");
        if (!"authorization_code".equals(grant) && !"refresh_token".equals(grant)) {
            throw new InvalidRequestException("'grant_type' must be 'authorization_code' or 'refresh_token'.");
        }
        if (!clientId.equals(form.getFirst("client_id"))) {
            throw new InvalidRequestException("'client_id' must be '" + clientId + "'.");
        }
        String body = form.entrySet().stream()
                .filter(field -> RELAYED.contains(field.getKey()) && !field.getValue().isEmpty())
                .map(field -> encode(field.getKey()) + "=" + encode(field.getValue().get(0)))
                .collect(Collectors.joining("&"));
        HttpResponse<String> answer;
        try {
            answer = http.send(HttpRequest.newBuilder(tokenEndpoint)
                            .timeout(Duration.ofSeconds(10))
                            .header("Content-Type", MediaType.APPLICATION_FORM_URLENCODED_VALUE)
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
        catch (IOException ex) {
            log.warn("Keycloak's token endpoint {} is unreachable: {}", tokenEndpoint, ex.toString());
            return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, "10")
                    .body(problems.problem(HttpStatus.SERVICE_UNAVAILABLE, "identity-provider-unreachable",
                            "Sign-in service unreachable", "Keycloak, which signs you in, cannot be reached right "
                                    + "now; try again in a few seconds."));
        }
        return ResponseEntity.status(answer.statusCode())
                .contentType(MediaType.APPLICATION_JSON)
                .cacheControl(CacheControl.noStore())
                .body(answer.body());
    }

    private static String withoutTrailingSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
