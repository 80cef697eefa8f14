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
import io.swagger.v3.oas.annotations.Hidden;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.CacheControl;
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
 */
@RestController
@Hidden
class DashboardController {

    private static final Set<String> RELAYED = Set.of("grant_type", "code", "redirect_uri", "code_verifier",
            "refresh_token", "client_id");

    private final String issuer;
    private final String clientId;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    DashboardController(@Value("${spring.security.oauth2.resourceserver.jwt.issuer-uri}") String issuer,
                        @Value("${keygate.dashboard.client-id:keygate-frontend}") String clientId) {
        this.issuer = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
        this.clientId = clientId;
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
    ResponseEntity<String> token(@RequestBody MultiValueMap<String, String> form) throws IOException,
            InterruptedException {
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
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(
                                URI.create(issuer + "/protocol/openid-connect/token"))
                        .timeout(Duration.ofSeconds(10))
                        .header("Content-Type", MediaType.APPLICATION_FORM_URLENCODED_VALUE)
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        return ResponseEntity.status(answer.statusCode())
                .contentType(MediaType.APPLICATION_JSON)
                .cacheControl(CacheControl.noStore())
                .body(answer.body());
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
