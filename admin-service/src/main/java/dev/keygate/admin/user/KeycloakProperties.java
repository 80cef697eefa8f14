package dev.keygate.admin.user;

import java.net.URI;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * admin-service's own access to Keycloak's admin API: its confidential client and service account.
 *
 * @param issuer the realm's issuer URI, e.g. {@code http://127.0.0.1:18080/realms/keygate}
 * @param clientSecret the secret of {@code clientId}, from {@code KEYGATE_ADMIN_CLIENT_SECRET}
 */
@Validated
@ConfigurationProperties("keygate.keycloak")
record KeycloakProperties(@NotNull URI issuer, @NotBlank String clientId, String clientSecret) {

    String serverUrl() {
        String text = issuer.toString();
        return text.substring(0, text.indexOf("/realms/"));
    }

    String realm() {
        String text = issuer.toString();
        return text.substring(text.indexOf("/realms/") + "/realms/".length()).replaceAll("/+$", "");
    }

    @Override
    public String toString() {
        return "KeycloakProperties[issuer=" + issuer + ", clientId=" + clientId + ", clientSecret=***]";
    }
}
