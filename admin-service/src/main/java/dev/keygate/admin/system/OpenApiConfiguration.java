package dev.keygate.admin.system;

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
    OpenAPI keygateAdminApi() {
        return new OpenAPI()
                .info(new Info().title("Keygate admin API").version("v1")
                        .description("Providers and models, provider keys, proxy keys, licenses and activation, users. "
                                + "Errors are RFC 9457 problem+json."))
                .components(new Components().addSecuritySchemes("keycloak", new SecurityScheme()
                        .type(SecurityScheme.Type.HTTP).scheme("bearer").bearerFormat("JWT")
                        .description("An access token of the Keycloak realm 'keygate'")))
                .addSecurityItem(new SecurityRequirement().addList("keycloak"));
    }
}
