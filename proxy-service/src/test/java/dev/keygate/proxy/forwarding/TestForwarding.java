package dev.keygate.proxy.forwarding;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import dev.keygate.proxy.clientauth.CallerAuthenticator;
import dev.keygate.proxy.keylease.KeyvaultClient;
import dev.keygate.proxy.limits.CallAdmission;
import dev.keygate.proxy.metering.TestMeters;
import dev.keygate.proxy.metering.UsagePublisher;
import dev.keygate.proxy.observation.TestCallMeters;
import dev.keygate.proxy.system.ProxyProblems;
import io.micrometer.tracing.Tracer;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * The real forwarding pieces (providers openai and anthropic, tools brave and e2b on the OpenAI URL) over a given
 * upstream, keyvault and usage publisher (usually mocks), for slice tests
 * of routes in other packages.
 */
public final class TestForwarding {

    private final ProxyProperties properties;
    private final ProxyHandler handler;
    private final CustomProviders custom = new CustomProviders();

    public TestForwarding(URI openAi, URI anthropic, CallerAuthenticator callers, KeyvaultClient keyvault,
                          UsagePublisher usage, ProxyProblems problems, CallAdmission admission) {
        this.properties = new ProxyProperties("test", Duration.ofSeconds(2), Duration.ofSeconds(10), Map.of(
                "openai", new ProxyProperties.Provider(openAi, ProxyProperties.AuthScheme.BEARER),
                "anthropic", new ProxyProperties.Provider(anthropic, ProxyProperties.AuthScheme.X_API_KEY)));
        ToolProperties tools = new ToolProperties(Map.of(
                "brave", new ProxyProperties.Provider(openAi, ProxyProperties.AuthScheme.X_SUBSCRIPTION_TOKEN),
                "e2b", new ProxyProperties.Provider(openAi, ProxyProperties.AuthScheme.X_API_KEY)));
        this.handler = new ProxyHandler(properties, tools, callers, keyvault, TestMeters.meters(), usage, problems,
                admission, custom, new StaticListableBeanFactory().getBeanProvider(Tracer.class),
                TestCallMeters.meters(), WebClient.builder());
    }

    /** Announces a tenant's custom provider as admin-service's {@code provider.changed} would. */
    public void announce(dev.keygate.contracts.admin.v1.ProviderChanged change) {
        custom.apply(change);
    }

    public ProviderCalls calls() {
        return new ProviderCalls(handler, properties);
    }

    public RouterFunction<ServerResponse> proxyRoutes() {
        return new ForwardingRoutes().proxyRoutes(handler);
    }
}
