package dev.keygate.proxy.compat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.keygate.contracts.admin.v1.ProxyKeyIssued;
import dev.keygate.contracts.keyvault.v1.OwnerType;
import dev.keygate.contracts.keyvault.v1.ResolvedKey;
import dev.keygate.proxy.clientauth.CallerAuthenticator;
import dev.keygate.proxy.clientauth.ProxyKeyDirectory;
import dev.keygate.proxy.clientauth.TestCallers;
import dev.keygate.proxy.forwarding.TestForwarding;
import dev.keygate.proxy.keylease.KeyvaultClient;
import dev.keygate.proxy.keylease.NoProviderKeyException;
import dev.keygate.proxy.limits.RateLimitStatusSource;
import dev.keygate.proxy.limits.TestAdmission;
import dev.keygate.proxy.metering.UsagePublisher;
import dev.keygate.proxy.system.ProxyProblems;
import dev.keygate.proxy.system.TestProblems;
import dev.keygate.testkit.FakeLlmProvider;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.boot.info.BuildProperties;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.util.unit.DataSize;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

/**
 * The compatibility routes and Keygate's own provider route wired to real forwarding, a real fake provider and a
 * proxy-key directory; keyvault and the usage publisher are mocks.
 */
final class CompatRoutesFixture implements AutoCloseable {

    static final String OPENAI_KEY = "sk-proj-real-openai-key-0123456789";
    static final String ANTHROPIC_KEY = "sk-ant-real-anthropic-key-0123456789";
    static final String PLAIN_PX = "px_plain0000000000000000000000000000000000000";
    static final String DEVICE_PX = "px_device000000000000000000000000000000000000";
    static final String HARDWARE_ID = "hw-macbook-pro";

    final FakeLlmProvider provider = FakeLlmProvider.start();
    final KeyvaultClient keyvault = mock(KeyvaultClient.class);
    final UsagePublisher usage = mock(UsagePublisher.class);
    final ProxyKeyDirectory directory = new ProxyKeyDirectory();
    final WebTestClient client;
    final TestForwarding forwarding;

    CompatRoutesFixture(Map<String, CompatProperties.QueryTemplate> queries, RateLimitStatusSource limits) {
        directory.apply(issued(PLAIN_PX, null));
        directory.apply(issued(DEVICE_PX, TestCallers.sha256(HARDWARE_ID)));
        when(keyvault.resolve(any(), eq("openai"))).thenReturn(Mono.just(
                new ResolvedKey(UUID.randomUUID(), "openai", OwnerType.USER, OPENAI_KEY)));
        when(keyvault.resolve(any(), eq("anthropic"))).thenReturn(Mono.just(
                new ResolvedKey(UUID.randomUUID(), "anthropic", OwnerType.ORGANISATION, ANTHROPIC_KEY)));
        JsonMapper json = JsonMapper.builder().build();
        CallerAuthenticator callers = TestCallers.authenticator(directory);
        ProxyProblems problems = TestProblems.problems();
        when(usage.acceptingCalls()).thenReturn(true);
        forwarding = new TestForwarding(provider.baseUrl(), provider.baseUrl(), callers, keyvault, usage,
                problems, TestAdmission.admission(directory));
        CompatProperties properties = new CompatProperties(DataSize.ofKilobytes(64),
                Map.of("anthropic", Map.of("anthropic-version", "2023-06-01")), queries);
        StaticListableBeanFactory beans = new StaticListableBeanFactory();
        if (limits != null) {
            beans.addBean("limits", limits);
        }
        StatusHandler status = new StatusHandler(callers, problems, beans.getBeanProvider(RateLimitStatusSource.class),
                beans.getBeanProvider(BuildProperties.class));
        client = WebTestClient.bindToRouterFunction(new CompatibilityRoutes().seedRoutes(
                        new EnvelopeHandler(callers, forwarding.calls(), problems, properties, json), status,
                        new AnalyticsQueryHandler(callers, forwarding.calls(), problems, properties, json))
                        .and(forwarding.proxyRoutes()))
                .configureClient()
                // WebTestClient's 5 s default is too short for a first call on a loaded 2-core machine (class
                // loading, Netty start-up), where this fixture's tests timed out without anything being wrong.
                .responseTimeout(Duration.ofSeconds(30))
                .build();
    }

    void noKeyFor(String providerId) {
        when(keyvault.resolve(any(), eq(providerId))).thenReturn(Mono.error(new NoProviderKeyException(providerId, false)));
    }

    private static ProxyKeyIssued issued(String key, String hardwareIdHash) {
        return new ProxyKeyIssued(UUID.randomUUID(), 1, Instant.now(), UUID.randomUUID(), "acme", "alice",
                TestCallers.sha256(key), key.substring(key.length() - 4), List.of(), null,
                hardwareIdHash == null ? null : UUID.randomUUID(), hardwareIdHash, null, null, null);
    }

    @Override
    public void close() {
        provider.close();
    }
}
