package dev.keygate.admin.provider;

import java.util.List;

import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.core.io.Resource;
import org.springframework.validation.annotation.Validated;

/**
 * The provider catalog's settings.
 *
 * @param location the models.yaml with the predefined providers and models, read at every start
 * @param allowedPrivateHosts host names, addresses or CIDR ranges a custom provider's base URL may point at although
 *                            they are loopback, private or link-local (and over plain http); empty in production
 */
@Validated
@ConfigurationProperties("keygate.catalog")
record CatalogProperties(@NotNull @DefaultValue("classpath:models.yaml") Resource location,
                         @DefaultValue List<String> allowedPrivateHosts) {
}
