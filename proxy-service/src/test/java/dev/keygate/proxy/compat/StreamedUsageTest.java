package dev.keygate.proxy.compat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import dev.keygate.contracts.usage.v1.UsageRecorded;
import dev.keygate.testkit.FakeLlmProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import org.springframework.http.MediaType;
import tools.jackson.databind.json.JsonMapper;

import static dev.keygate.proxy.compat.CompatRoutesFixture.PLAIN_PX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.timeout;
import static org.mockito.Mockito.verify;

/**
 * Streamed OpenAI chat completions through {@code /api/proxy/openai}: a client that did not ask for usage gets the
 * stream it asked for, while the ledger gets the provider's own token counts.
 */
class StreamedUsageTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String STREAM = "{\"model\":\"gpt-4o-mini\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Count the tokens of this stream\"}]}";

    private final CompatRoutesFixture stack = new CompatRoutesFixture(Map.of(), null);

    @AfterEach
    void stop() {
        stack.close();
    }

    @Test
    void aStreamThatDidNotAskForUsageIsBilledAndTheClientNeverSeesTheUsageChunk() {
        String answer = chat(STREAM);

        FakeLlmProvider.RecordedRequest received = stack.provider.lastRequest();
        assertThat(JSON.readTree(received.bodyText()).get("stream_options").get("include_usage").asBoolean())
                .as("the proxy asked on the client's behalf").isTrue();
        String sent = new String(lastSent(), StandardCharsets.UTF_8);
        assertThat(sent).contains("\"choices\":[]").contains("\"usage\":");
        // With include_usage OpenAI also writes "usage":null into every other chunk; SDKs read that as no usage.
        assertThat(answer).doesNotContain("\"choices\":[]").doesNotContain("\"usage\":{")
                .endsWith("data: [DONE]\n\n");
        assertThat(sent.replaceAll("data: \\{[^\\n]*\"choices\":\\[\\][^\\n]*\\n\\n", "")).isEqualTo(answer);

        FakeLlmProvider.Usage expected = FakeLlmProvider.expectedUsage(STREAM);
        UsageRecorded event = published();
        assertThat(event.streamed()).isTrue();
        assertThat(event.usage().inputTokens()).isEqualTo(expected.inputTokens()).isPositive();
        assertThat(event.usage().outputTokens()).isEqualTo(expected.outputTokens()).isPositive();
    }

    @Test
    void aClientThatAskedForUsageGetsTheStreamExactlyAsSentAndItsRequestUnchanged() {
        String asking = STREAM.replace("\"stream\":true", "\"stream\":true,\"stream_options\":{\"include_usage\":true}");

        String answer = chat(asking);

        assertThat(stack.provider.lastRequest().bodyText()).isEqualTo(asking);
        assertThat(answer).isEqualTo(new String(lastSent(), StandardCharsets.UTF_8)).contains("\"choices\":[]");
        assertThat(published().usage().outputTokens()).isPositive();
    }

    @Test
    void aCallThatIsNotStreamedPassesByteForByte() {
        String json = STREAM.replace("\"stream\":true,", "");

        String answer = chat(json);

        assertThat(stack.provider.lastRequest().bodyText()).isEqualTo(json);
        assertThat(answer).isEqualTo(new String(lastSent(), StandardCharsets.UTF_8));
    }

    private String chat(String body) {
        byte[] answer = stack.client.post().uri("/api/proxy/openai/v1/chat/completions")
                .header("Authorization", "Bearer " + PLAIN_PX)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body)
                .exchange()
                .expectStatus().isOk()
                .expectBody(byte[].class).returnResult().getResponseBody();
        return new String(answer, StandardCharsets.UTF_8);
    }

    private UsageRecorded published() {
        ArgumentCaptor<UsageRecorded> event = ArgumentCaptor.forClass(UsageRecorded.class);
        verify(stack.usage, timeout(2000)).publish(event.capture(), any());
        return event.getValue();
    }

    private byte[] lastSent() {
        List<byte[]> sent = stack.provider.responseBodies();
        return sent.get(sent.size() - 1);
    }
}
