package dev.keygate.proxy.compat;

import java.util.Map;
import java.util.UUID;

import dev.keygate.contracts.keyvault.v1.OwnerType;
import dev.keygate.contracts.keyvault.v1.ResolvedKey;
import dev.keygate.testkit.FakeLlmProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import static dev.keygate.proxy.compat.CompatRoutesFixture.PLAIN_PX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.when;

/** Seed 000's {@code /api/proxy/tools/{tool}/**}: each tool gets its key in its own header. */
class ToolRoutesTest {

    private static final String BRAVE_KEY = "BSA-real-brave-key-0123456789";
    private static final String E2B_KEY = "e2b_real_key_0123456789";

    private final CompatRoutesFixture stack = new CompatRoutesFixture(Map.of(), null);

    @AfterEach
    void stop() {
        stack.close();
    }

    @Test
    void braveGetsItsKeyAsXSubscriptionTokenAndTheCallersProxyKeyNeverLeaves() {
        when(stack.keyvault.resolve(any(), eq("brave"))).thenReturn(Mono.just(
                new ResolvedKey(UUID.randomUUID(), "brave", OwnerType.ORGANISATION, BRAVE_KEY)));

        stack.client.get().uri("/api/proxy/tools/brave/res/v1/web/search?q=keygate")
                .header("X-Subscription-Token", PLAIN_PX).exchange();

        FakeLlmProvider.RecordedRequest received = stack.provider.lastRequest();
        assertThat(received.path()).isEqualTo("/res/v1/web/search?q=keygate");
        assertThat(received.header("x-subscription-token")).isEqualTo(BRAVE_KEY);
        assertThat(received.header("authorization")).isNull();
        assertThat(received.headers().toString()).doesNotContain(PLAIN_PX);
    }

    @Test
    void e2bGetsItsKeyAsXApiKeyWhateverHeaderTheCallerUsed() {
        when(stack.keyvault.resolve(any(), eq("e2b"))).thenReturn(Mono.just(
                new ResolvedKey(UUID.randomUUID(), "e2b", OwnerType.USER, E2B_KEY)));

        stack.client.get().uri("/api/proxy/tools/e2b/sandboxes").header("X-Subscription-Token", PLAIN_PX).exchange();

        FakeLlmProvider.RecordedRequest received = stack.provider.lastRequest();
        assertThat(received.path()).isEqualTo("/sandboxes");
        assertThat(received.header("x-api-key")).isEqualTo(E2B_KEY);
        assertThat(received.header("x-subscription-token")).as("the caller's proxy key is not forwarded").isNull();
    }

    @Test
    void anUnknownToolIs404AndNoToolIsReachableAsAProvider() {
        stack.client.get().uri("/api/proxy/tools/nosuch/x").header("Authorization", "Bearer " + PLAIN_PX).exchange()
                .expectStatus().isNotFound();
        stack.client.get().uri("/api/proxy/brave/res/v1/web/search").header("Authorization", "Bearer " + PLAIN_PX)
                .exchange().expectStatus().isNotFound();
        assertThat(stack.provider.requests()).isEmpty();
    }
}
