package dev.keygate.proxy.compat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import dev.keygate.contracts.usage.v1.UsageRecorded;
import dev.keygate.testkit.FakeLlmProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import org.springframework.http.MediaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static dev.keygate.proxy.compat.CompatRoutesFixture.ANTHROPIC_KEY;
import static dev.keygate.proxy.compat.CompatRoutesFixture.DEVICE_PX;
import static dev.keygate.proxy.compat.CompatRoutesFixture.HARDWARE_ID;
import static dev.keygate.proxy.compat.CompatRoutesFixture.OPENAI_KEY;
import static dev.keygate.proxy.compat.CompatRoutesFixture.PLAIN_PX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.timeout;
import static org.mockito.Mockito.verify;

class EnvelopeHandlerTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String CHAT = "{\"model\":\"gpt-3.5-turbo\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello!\"}]}";

    private final CompatRoutesFixture stack = new CompatRoutesFixture(Map.of(), null);

    @AfterEach
    void stop() {
        stack.close();
    }

    @Test
    void forwardsTheEnvelopesBodyToTheProvidersApiPathWithTheRealKeyAndRelaysTheAnswerUnchanged() {
        byte[] answer = post("/proxy/openai/v1/chat/completions",
                "{\"proxy_key\":\"" + PLAIN_PX + "\",\"provider\":\"openai\",\"body\":" + CHAT + "}", 200);

        FakeLlmProvider.RecordedRequest received = stack.provider.lastRequest();
        assertThat(received.path()).isEqualTo("/v1/chat/completions");
        assertThat(received.credential()).isEqualTo(OPENAI_KEY);
        assertThat(JSON.readTree(received.bodyText())).isEqualTo(JSON.readTree(CHAT));
        assertThat(received.headers().toString()).doesNotContain(PLAIN_PX);
        assertThat(received.bodyText()).doesNotContain(PLAIN_PX).doesNotContain("proxy_key");
        assertThat(answer).isEqualTo(lastSent());

        ArgumentCaptor<UsageRecorded> event = ArgumentCaptor.forClass(UsageRecorded.class);
        verify(stack.usage, timeout(2000)).publish(event.capture(), any());
        FakeLlmProvider.Usage expected = FakeLlmProvider.expectedUsage(CHAT);
        assertThat(event.getValue().provider()).isEqualTo("openai");
        assertThat(event.getValue().usage().inputTokens()).isEqualTo(expected.inputTokens());
        assertThat(event.getValue().usage().outputTokens()).isEqualTo(expected.outputTokens());
        assertThat(event.getValue().toString()).doesNotContain(PLAIN_PX).doesNotContain(OPENAI_KEY);
    }

    @Test
    void aStreamedAnthropicAnswerArrivesAsSentWithTheAnthropicVersionTheEnvelopeCannotCarry() {
        String messages = "{\"model\":\"claude-3-haiku-20240307\",\"max_tokens\":1024,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello!\"}]}";

        byte[] answer = stack.client.post().uri("/proxy/anthropic/v1/messages")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"proxy_key\":\"" + DEVICE_PX + "\",\"hardware_id\":\"" + HARDWARE_ID
                        + "\",\"provider\":\"anthropic\",\"body\":" + messages + "}")
                .exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_EVENT_STREAM)
                .expectBody(byte[].class).returnResult().getResponseBody();

        FakeLlmProvider.RecordedRequest received = stack.provider.lastRequest();
        assertThat(received.header("x-api-key")).isEqualTo(ANTHROPIC_KEY);
        assertThat(received.header("authorization")).isNull();
        assertThat(received.header("anthropic-version")).isEqualTo("2023-06-01");
        assertThat(answer).isEqualTo(lastSent());
        assertThat(new String(answer, StandardCharsets.UTF_8)).contains("event: message_stop");
    }

    @Test
    void aDeviceBoundKeyIsRefusedWithoutTheHardwareIdItWasActivatedWith() {
        for (String hardware : List.of("", ",\"hardware_id\":\"hw-someone-else\"", ",\"hardware_id\":null")) {
            JsonNode problem = problem(post("/proxy/openai/v1/chat/completions",
                    "{\"proxy_key\":\"" + DEVICE_PX + "\"" + hardware + ",\"provider\":\"openai\",\"body\":" + CHAT + "}",
                    403));
            assertThat(problem.get("title").asString()).isEqualTo("Hardware ID not activated for this license");
            assertThat(problem.get("error").get("message").asString())
                    .isEqualTo("Hardware ID not activated for this license");
        }
        assertThat(stack.provider.requests()).isEmpty();

        post("/proxy/openai/v1/chat/completions", "{\"proxy_key\":\"" + DEVICE_PX + "\",\"hardware_id\":\""
                + HARDWARE_ID + "\",\"provider\":\"openai\",\"body\":" + CHAT + "}", 200);
        assertThat(stack.provider.requests()).hasSize(1);
    }

    @Test
    void theProviderRouteHoldsADeviceBoundKeyToItsDeviceTooAndDoesNotForwardTheHardwareId() {
        stack.client.post().uri("/api/proxy/openai/v1/chat/completions")
                .header("Authorization", "Bearer " + DEVICE_PX).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(CHAT).exchange().expectStatus().isForbidden();
        assertThat(stack.provider.requests()).isEmpty();

        stack.client.post().uri("/api/proxy/openai/v1/chat/completions")
                .header("Authorization", "Bearer " + DEVICE_PX).header("X-Hardware-Id", HARDWARE_ID)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(CHAT).exchange().expectStatus().isOk();
        assertThat(stack.provider.lastRequest().header("x-hardware-id")).isNull();
    }

    @Test
    void aMissingProviderKeyIs503OnSeed001sRouteAnd400OnTheProviderRoute() {
        stack.noKeyFor("openai");

        JsonNode envelope = problem(post("/proxy/openai/v1/chat/completions",
                "{\"proxy_key\":\"" + PLAIN_PX + "\",\"provider\":\"openai\",\"body\":" + CHAT + "}", 503));
        assertThat(envelope.get("title").asString()).isEqualTo("API key not configured");
        assertThat(envelope.get("detail").asString()).contains("PUT /api/v1/me/provider-keys/openai");
        assertThat(envelope.get("error").get("message").asString()).isEqualTo(envelope.get("detail").asString());

        byte[] direct = stack.client.post().uri("/api/proxy/openai/v1/chat/completions")
                .header("Authorization", "Bearer " + PLAIN_PX).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(CHAT).exchange().expectStatus().isBadRequest()
                .expectBody(byte[].class).returnResult().getResponseBody();
        assertThat(problem(direct).get("title").asString()).isEqualTo("API key not configured");
    }

    @Test
    void refusesBrokenEnvelopesWithProblemsThatNameTheFixAndNeverCallTheProvider() {
        assertThat(problem(post("/proxy/openai/v1/chat/completions", "{not json", 400)).get("detail").asString())
                .contains("not valid JSON");
        assertThat(problem(post("/proxy/openai/v1/chat/completions",
                "{\"proxy_key\":\"" + PLAIN_PX + "\",\"provider\":\"openai\"}", 400)).get("detail").asString())
                .contains("'body'");
        assertThat(problem(post("/proxy/openai/v1/chat/completions",
                "{\"proxy_key\":\"" + PLAIN_PX + "\",\"provider\":\"anthropic\",\"body\":" + CHAT + "}", 400))
                .get("detail").asString()).contains("'provider' must be \"openai\"");
        assertThat(problem(post("/proxy/openai/v1/chat/completions",
                "{\"provider\":\"openai\",\"body\":" + CHAT + "}", 401)).get("error").get("code").asString())
                .isEqualTo("invalid_api_key");
        JsonNode unknownKey = problem(post("/proxy/openai/v1/chat/completions",
                "{\"proxy_key\":\"px_unknown000000000000000000000000000000000000\",\"body\":" + CHAT + "}", 401));
        assertThat(unknownKey.toString()).doesNotContain("px_unknown");
        post("/proxy/nosuch/v1/chat/completions", "{\"proxy_key\":\"" + PLAIN_PX + "\",\"body\":{}}", 404);
        post("/proxy/openai/v1/%2e%2e/admin", "{\"proxy_key\":\"" + PLAIN_PX + "\",\"body\":{}}", 400);
        post("/proxy/openai/v1/chat/completions", "{\"proxy_key\":\"" + PLAIN_PX + "\",\"body\":{\"pad\":\""
                + "x".repeat(70 * 1024) + "\"}}", 413);
        assertThat(stack.provider.requests()).isEmpty();
    }

    @Test
    void theProxysOwnRefusalsOnAnthropicRoutesUseAnthropicsErrorTypesWhereItsSdksReadThem() {
        JsonNode anthropic = problem(stack.client.post().uri("/api/proxy/anthropic/v1/messages")
                .header("x-api-key", "px_unknown000000000000000000000000000000000000")
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{}").exchange().expectStatus().isUnauthorized()
                .expectBody(byte[].class).returnResult().getResponseBody());
        JsonNode openAi = problem(stack.client.post().uri("/api/proxy/openai/v1/chat/completions")
                .header("Authorization", "Bearer px_unknown000000000000000000000000000000000000")
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{}").exchange().expectStatus().isUnauthorized()
                .expectBody(byte[].class).returnResult().getResponseBody());

        assertThat(anthropic.get("error").get("type").asString()).isEqualTo("authentication_error");
        assertThat(anthropic.get("error").get("details").get("error_code").asString()).isEqualTo("invalid_api_key");
        assertThat(anthropic.get("error").get("message").asString()).contains("Invalid proxy key");
        assertThat(openAi.get("error").get("type").asString()).isEqualTo("invalid_request_error");
        assertThat(openAi.get("error").get("code").asString()).isEqualTo("invalid_api_key");
    }

    @Test
    void anUpstreamErrorPassesThroughUnchanged() {
        String error = "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"param\":null,"
                + "\"code\":\"rate_limit_exceeded\"}}";
        stack.provider.respondWith(429, error);

        byte[] answer = post("/proxy/openai/v1/chat/completions",
                "{\"proxy_key\":\"" + PLAIN_PX + "\",\"body\":" + CHAT + "}", 429);

        assertThat(new String(answer, StandardCharsets.UTF_8)).isEqualTo(error);
    }

    private byte[] post(String path, String body, int status) {
        return stack.client.post().uri(URI.create(path)).contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                .exchange().expectStatus().isEqualTo(status)
                .expectBody(byte[].class).returnResult().getResponseBody();
    }

    private static JsonNode problem(byte[] body) {
        JsonNode problem = JSON.readTree(body);
        assertThat(problem.get("type").asString()).startsWith("https://keygate.dev/problems/");
        assertThat(problem.get("status").isInt()).isTrue();
        return problem;
    }

    private byte[] lastSent() {
        List<byte[]> sent = stack.provider.responseBodies();
        return sent.get(sent.size() - 1);
    }
}
