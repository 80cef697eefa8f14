package dev.keygate.usage.system;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The OpenAPI description served at {@code /v3/api-docs}: every endpoint, signed in with a Keycloak bearer token. */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    @Bean
    OpenAPI keygateUsageApi() {
        return new OpenAPI()
                .info(new Info().title("Keygate usage API").version("v1")
                        .description("The usage ledger and its analytics, always of the caller's own tenant. "
                                + "Errors are RFC 9457 problem+json."))
                .components(new Components().addSecuritySchemes("keycloak", new SecurityScheme()
                        .type(SecurityScheme.Type.HTTP).scheme("bearer").bearerFormat("JWT")
                        .description("An access token of the Keycloak realm 'keygate'")))
                .addSecurityItem(new SecurityRequirement().addList("keycloak"));
    }
}
