package dev.keygate.proxy.compat;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import dev.keygate.contracts.admin.v1.ProviderChanged;
import dev.keygate.contracts.keyvault.v1.OwnerType;
import dev.keygate.contracts.keyvault.v1.ResolvedKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import reactor.core.publisher.Mono;

import static dev.keygate.proxy.compat.CompatRoutesFixture.PLAIN_PX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.when;

/** A tenant's own OpenAI-compatible provider, learned from admin-service's {@code provider.changed} events. */
class CustomProviderRouteTest {

    private static final String VLLM_KEY = "sk-vllm-tenant-key-0123456789";
    private final CompatRoutesFixture stack = new CompatRoutesFixture(Map.of(), null);

    @AfterEach
    void stop() {
        stack.close();
    }

    @Test
    void aCallToTheTenantsOwnProviderGoesToItsBaseUrlWithItsKey() {
        when(stack.keyvault.resolve(any(), eq("acme-vllm"))).thenReturn(Mono.just(
                new ResolvedKey(UUID.randomUUID(), "acme-vllm", OwnerType.ORGANISATION, VLLM_KEY)));
        stack.forwarding.announce(changed("acme", "acme-vllm", false));

        chat("acme-vllm").expectStatus().isOk();

        assertThat(stack.provider.lastRequest().path()).isEqualTo("/v1/chat/completions");
        assertThat(stack.provider.lastRequest().credential()).isEqualTo(VLLM_KEY);
    }

    @Test
    void anotherTenantsProviderAndADeletedOneAreUnknown() {
        stack.forwarding.announce(changed("globex", "globex-vllm", false));
        chat("globex-vllm").expectStatus().isNotFound()
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON);

        stack.forwarding.announce(changed("acme", "acme-old", false));
        stack.forwarding.announce(changed("acme", "acme-old", true));
        chat("acme-old").expectStatus().isNotFound();
        assertThat(stack.provider.requests()).isEmpty();
    }

    @Test
    void anUnknownCallerIsRefusedBeforeAnyProviderIsLookedUp() {
        stack.forwarding.announce(changed("acme", "acme-vllm", false));

        stack.client.post().uri("/api/proxy/acme-vllm/v1/chat/completions")
                .header("Authorization", "Bearer px_unknown").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"llama\"}").exchange().expectStatus().isUnauthorized();
    }

    private org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec chat(String provider) {
        return stack.client.post().uri("/api/proxy/" + provider + "/v1/chat/completions")
                .header("Authorization", "Bearer " + PLAIN_PX)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"llama-3.3-70b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .exchange();
    }

    private ProviderChanged changed(String tenant, String name, boolean deleted) {
        return new ProviderChanged(UUID.randomUUID(), null, 0, Instant.now(), UUID.randomUUID(), tenant, name,
                deleted ? null : stack.provider.baseUrl().toString(), deleted ? null : "bearer", null, deleted);
    }
}
