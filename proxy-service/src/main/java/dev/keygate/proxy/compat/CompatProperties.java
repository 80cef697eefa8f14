package dev.keygate.proxy.compat;

import java.util.List;
import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Settings of the seed compatibility routes.
 *
 * @param maxRequestSize the largest JSON request these routes read into memory (envelope, query parameters)
 * @param defaultHeaders per provider, headers added to calls these routes build when the client sent none of that
 *                       name (Anthropic needs {@code anthropic-version}, which seed 001's envelope cannot carry)
 * @param queries the admin-defined allow-list of {@code POST /api/analytics-query}, by {@code query_type}
 */
@Validated
@ConfigurationProperties("keygate.proxy.compat")
public record CompatProperties(@NotNull DataSize maxRequestSize, Map<String, Map<String, String>> defaultHeaders,
                               Map<String, @Valid QueryTemplate> queries) {

    public CompatProperties {
        defaultHeaders = defaultHeaders == null ? Map.of() : Map.copyOf(defaultHeaders);
        queries = queries == null ? Map.of() : Map.copyOf(queries);
    }

    /**
     * One allowed query: the provider request it renders to.
     *
     * @param provider the catalog provider the query goes to
     * @param path the provider path, e.g. {@code /v1/messages}
     * @param template the JSON request body; {@code {{name}}} inside a JSON string is replaced by the parameter's
     *                 validated value (always as string content, so a value can never change the JSON's structure)
     * @param parameters the parameters the query takes, by name; no others are accepted
     */
    public record QueryTemplate(@NotBlank String provider, @NotBlank String path, @NotBlank String template,
                                Map<String, @Valid Parameter> parameters) {

        public QueryTemplate {
            parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
        }
    }

    /**
     * A query parameter: a value from {@code allowed}, or else a full match of {@code pattern}. One of them is
     * required, so no parameter takes free text unchecked.
     *
     * @param defaultValue used when the caller leaves the parameter out; without one the parameter is required
     */
    public record Parameter(List<String> allowed, String pattern, String defaultValue) {

        public Parameter {
            allowed = allowed == null ? List.of() : List.copyOf(allowed);
        }
    }
}
