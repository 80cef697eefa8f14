package dev.keygate.local;

import java.net.URI;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

import dev.keygate.testkit.ServiceCertificate;
import dev.keygate.testkit.ServiceDatabase;

/**
 * Everything the four services are wired to: their ports, databases, the Kafka bootstrap servers, the OIDC issuer,
 * their mutual-TLS certificates, keyvault's master key file and the LLM providers' base URLs. The one-machine stack
 * fills it from its fixed ports and generated secrets; integration tests fill it from the testkit's servers on free
 * ports. {@link ServiceEnvironment} turns it into each service's environment. {@link #toString()} hides the secrets.
 *
 * @param certificates one per service that speaks mutual TLS (keyvault, admin and proxy), keyed by service
 * @param openAiUrl base URL of the OpenAI API, without {@code /v1}
 * @param anthropicUrl base URL of the Anthropic API, without {@code /v1}
 */
public record StackWiring(StackPorts ports, ServiceDatabase keyvaultDatabase, ServiceDatabase adminDatabase,
                          ServiceDatabase usageDatabase, String kafkaBootstrap, String oidcIssuer,
                          String adminClientSecret, Path masterKeyFile,
                          Map<KeygateService, ServiceCertificate> certificates, URI openAiUrl, URI anthropicUrl) {

    /** The real providers, for a stack that is not in demo mode. */
    public static final URI OPENAI = URI.create("https://api.openai.com");
    /** The real providers, for a stack that is not in demo mode. */
    public static final URI ANTHROPIC = URI.create("https://api.anthropic.com");

    public StackWiring {
        Objects.requireNonNull(ports, "ports");
        Objects.requireNonNull(kafkaBootstrap, "kafkaBootstrap");
        Objects.requireNonNull(oidcIssuer, "oidcIssuer");
        Objects.requireNonNull(openAiUrl, "openAiUrl");
        Objects.requireNonNull(anthropicUrl, "anthropicUrl");
        certificates = certificates.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(certificates));
    }

    /** The certificate of {@code service}; fails with a clear message when the wiring lacks it. */
    public ServiceCertificate certificate(KeygateService service) {
        ServiceCertificate certificate = certificates.get(service);
        if (certificate == null) {
            throw new IllegalStateException("no TLS certificate was issued for " + service.module());
        }
        return certificate;
    }

    @Override
    public String toString() {
        return "StackWiring[ports=" + ports + ", keyvaultDatabase=" + keyvaultDatabase + ", adminDatabase="
                + adminDatabase + ", usageDatabase=" + usageDatabase + ", kafkaBootstrap=" + kafkaBootstrap
                + ", oidcIssuer=" + oidcIssuer + ", adminClientSecret=***, masterKeyFile=" + masterKeyFile
                + ", certificates=" + certificates.keySet() + ", openAiUrl=" + openAiUrl + ", anthropicUrl="
                + anthropicUrl + "]";
    }
}
