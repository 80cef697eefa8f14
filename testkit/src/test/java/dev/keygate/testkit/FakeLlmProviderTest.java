package dev.keygate.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class FakeLlmProviderTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String OPENAI_KEY = "sk-test-openai-0123456789";
    private static final String ANTHROPIC_KEY = "sk-ant-test-0123456789";

    /** System "You are terse." (3 words) and user "Say hello to the gateway" (5 words). */
    private static final String OPENAI_BODY = """
            {"model":"gpt-4o-mini","messages":[
              {"role":"system","content":"You are terse."},
              {"role":"user","content":"Say hello to the gateway"}]%s}""";
    private static final String ANTHROPIC_BODY = """
            {"model":"claude-sonnet-4-5","max_tokens":256,"system":"You are terse.",
             "messages":[{"role":"user","content":[{"type":"text","text":"Say hello to the gateway"}]}]%s}""";
    private static final String REPLY = "Hello from the fake provider. You said: Say hello to the gateway";
    /** 8 words + 3 per message (2) + 3; Anthropic's system prompt counts as a message. */
    private static final int PROMPT_TOKENS = 17;
    /** The reply's words. */
    private static final int COMPLETION_TOKENS = 12;

    private static FakeLlmProvider provider;
    private static HttpClient client;

    @BeforeAll
    static void start() {
        provider = FakeLlmProvider.start();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        provider.close();
    }

    @BeforeEach
    void reset() {
        provider.reset();
    }

    @Test
    void listensOnLoopback() {
        assertThat(provider.baseUrl()).isEqualTo(URI.create("http://127.0.0.1:" + provider.port()));
        assertThat(provider.port()).isPositive();
    }

    @Test
    void openAiCompletionCarriesUsage() throws Exception {
        HttpResponse<String> response = client.send(openAi(OPENAI_BODY.formatted("")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(response.headers().firstValue("x-request-id")).hasValueSatisfying(id -> assertThat(id)
                .startsWith("req_"));
        JsonNode completion = JSON.readTree(response.body());
        assertThat(completion.path("id").stringValue()).startsWith("chatcmpl-");
        assertThat(completion.path("object").stringValue()).isEqualTo("chat.completion");
        assertThat(completion.path("created").isIntegralNumber()).isTrue();
        assertThat(completion.path("model").stringValue()).isEqualTo("gpt-4o-mini");
        assertThat(completion.path("system_fingerprint").stringValue()).startsWith("fp_");
        JsonNode choice = completion.path("choices").path(0);
        assertThat(completion.path("choices").size()).isEqualTo(1);
        assertThat(choice.path("index").intValue()).isZero();
        assertThat(choice.path("message").path("role").stringValue()).isEqualTo("assistant");
        assertThat(choice.path("message").path("content").stringValue()).isEqualTo(REPLY);
        assertThat(choice.path("message").get("refusal").isNull()).isTrue();
        assertThat(choice.path("finish_reason").stringValue()).isEqualTo("stop");
        JsonNode usage = completion.path("usage");
        assertThat(usage.path("prompt_tokens").intValue()).isEqualTo(PROMPT_TOKENS);
        assertThat(usage.path("completion_tokens").intValue()).isEqualTo(COMPLETION_TOKENS);
        assertThat(usage.path("total_tokens").intValue()).isEqualTo(PROMPT_TOKENS + COMPLETION_TOKENS);
        assertThat(usage.path("prompt_tokens_details").path("cached_tokens").isIntegralNumber()).isTrue();
        assertThat(usage.path("prompt_tokens_details").path("audio_tokens").isIntegralNumber()).isTrue();
        assertThat(usage.path("completion_tokens_details").path("reasoning_tokens").isIntegralNumber()).isTrue();

        assertThat(provider.lastUsage()).hasValue(new FakeLlmProvider.Usage(PROMPT_TOKENS, COMPLETION_TOKENS));
        assertThat(FakeLlmProvider.expectedUsage(OPENAI_BODY.formatted(""))).isEqualTo(provider.lastUsage().get());
        assertThat(FakeLlmProvider.replyTo("Say hello to the gateway")).isEqualTo(REPLY);
    }

    @Test
    void openAiStreamWithoutIncludeUsageHasNoUsage() throws Exception {
        HttpResponse<Stream<String>> response = client.send(openAi(OPENAI_BODY.formatted(",\"stream\":true")).build(),
                HttpResponse.BodyHandlers.ofLines());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
        List<String> lines = response.body().toList();
        List<String> data = dataOf(lines);
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        assertThat(lines.get(lines.size() - 2)).isEqualTo("data: [DONE]");
        List<JsonNode> chunks = chunks(data);
        assertThat(chunks).allSatisfy(chunk -> {
            assertThat(chunk.path("object").stringValue()).isEqualTo("chat.completion.chunk");
            assertThat(chunk.has("usage")).isFalse();
            assertThat(chunk.path("choices").size()).isEqualTo(1);
        });
        JsonNode first = chunks.get(0).path("choices").path(0).path("delta");
        assertThat(first.path("role").stringValue()).isEqualTo("assistant");
        assertThat(first.path("content").stringValue()).isEmpty();
        JsonNode last = chunks.get(chunks.size() - 1).path("choices").path(0);
        assertThat(last.path("delta").isEmpty()).isTrue();
        assertThat(last.path("finish_reason").stringValue()).isEqualTo("stop");
        assertThat(chunks.subList(0, chunks.size() - 1))
                .allSatisfy(chunk -> assertThat(chunk.path("choices").path(0).get("finish_reason").isNull()).isTrue());
        assertThat(chunks.subList(1, chunks.size() - 1)).hasSizeGreaterThan(3);
        assertThat(contentOf(chunks)).isEqualTo(REPLY);
        assertThat(chunks).extracting(chunk -> chunk.path("id").stringValue()).containsOnly(chunks.get(0).path("id")
                .stringValue());
        assertThat(provider.lastUsage()).hasValue(new FakeLlmProvider.Usage(PROMPT_TOKENS, COMPLETION_TOKENS));
    }

    @Test
    void openAiStreamWithIncludeUsageEndsWithOneUsageChunk() throws Exception {
        HttpResponse<Stream<String>> response = client.send(openAi(OPENAI_BODY.formatted(
                ",\"stream\":true,\"stream_options\":{\"include_usage\":true}")).build(),
                HttpResponse.BodyHandlers.ofLines());

        List<String> data = dataOf(response.body().toList());
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        List<JsonNode> chunks = chunks(data);
        List<JsonNode> withUsage = chunks.stream().filter(chunk -> chunk.path("usage").isObject()).toList();
        assertThat(withUsage).hasSize(1);
        JsonNode usageChunk = chunks.get(chunks.size() - 1);
        assertThat(withUsage.get(0)).isSameAs(usageChunk);
        assertThat(usageChunk.path("choices").isArray()).isTrue();
        assertThat(usageChunk.path("choices").isEmpty()).isTrue();
        assertThat(usageChunk.path("usage").path("prompt_tokens").intValue()).isEqualTo(PROMPT_TOKENS);
        assertThat(usageChunk.path("usage").path("completion_tokens").intValue()).isEqualTo(COMPLETION_TOKENS);
        assertThat(usageChunk.path("usage").path("total_tokens").intValue())
                .isEqualTo(PROMPT_TOKENS + COMPLETION_TOKENS);
        assertThat(chunks.subList(0, chunks.size() - 1)).allSatisfy(chunk -> {
            assertThat(chunk.has("usage")).isTrue();
            assertThat(chunk.get("usage").isNull()).isTrue();
        });
        assertThat(chunks.get(chunks.size() - 2).path("choices").path(0).path("finish_reason").stringValue())
                .isEqualTo("stop");
        assertThat(contentOf(chunks)).isEqualTo(REPLY);
    }

    @Test
    void streamArrivesEventByEvent() throws Exception {
        // Its own instance, so that no other test's stream is counted as in progress.
        try (FakeLlmProvider slow = FakeLlmProvider.start()) {
            slow.setChunkDelay(Duration.ofMillis(50));
            HttpRequest request = HttpRequest.newBuilder(slow.baseUrl().resolve("/v1/chat/completions"))
                    .header("Authorization", "Bearer " + OPENAI_KEY)
                    .POST(HttpRequest.BodyPublishers.ofString(OPENAI_BODY.formatted(",\"stream\":true")))
                    .build();
            HttpResponse<Stream<String>> response = client.send(request, HttpResponse.BodyHandlers.ofLines());

            try (Stream<String> lines = response.body()) {
                Iterator<String> iterator = lines.iterator();
                String firstLine = iterator.next();
                long firstLineAt = System.nanoTime();
                // The first event is in the client's hands while the server is still writing the rest.
                int streamsInProgress = slow.activeStreams();
                List<String> rest = new ArrayList<>();
                iterator.forEachRemaining(rest::add);
                long lastLineAt = System.nanoTime();

                assertThat(firstLine).startsWith("data: {");
                assertThat(streamsInProgress).isEqualTo(1);
                assertThat(rest).hasSizeGreaterThan(2 * COMPLETION_TOKENS).contains("data: [DONE]");
                assertThat(firstLineAt).isLessThan(lastLineAt);
            }
        }
    }

    @Test
    void anthropicMessageCarriesUsage() throws Exception {
        HttpResponse<String> response = client.send(anthropic(ANTHROPIC_BODY.formatted("")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(response.headers().firstValue("request-id")).hasValueSatisfying(id -> assertThat(id)
                .startsWith("req_"));
        JsonNode message = JSON.readTree(response.body());
        assertThat(message.path("id").stringValue()).startsWith("msg_");
        assertThat(message.path("type").stringValue()).isEqualTo("message");
        assertThat(message.path("role").stringValue()).isEqualTo("assistant");
        assertThat(message.path("model").stringValue()).isEqualTo("claude-sonnet-4-5");
        assertThat(message.path("content").size()).isEqualTo(1);
        assertThat(message.path("content").path(0).path("type").stringValue()).isEqualTo("text");
        assertThat(message.path("content").path(0).path("text").stringValue()).isEqualTo(REPLY);
        assertThat(message.path("stop_reason").stringValue()).isEqualTo("end_turn");
        assertThat(message.get("stop_sequence").isNull()).isTrue();
        JsonNode usage = message.path("usage");
        assertThat(usage.path("input_tokens").intValue()).isEqualTo(PROMPT_TOKENS);
        assertThat(usage.path("output_tokens").intValue()).isEqualTo(COMPLETION_TOKENS);
        assertThat(usage.path("cache_creation_input_tokens").isIntegralNumber()).isTrue();
        assertThat(usage.path("cache_read_input_tokens").isIntegralNumber()).isTrue();
        assertThat(provider.lastUsage()).hasValue(new FakeLlmProvider.Usage(PROMPT_TOKENS, COMPLETION_TOKENS));
        assertThat(FakeLlmProvider.expectedUsage(ANTHROPIC_BODY.formatted(""))).isEqualTo(provider.lastUsage().get());
    }

    @Test
    void anthropicStreamSendsTheEventSequence() throws Exception {
        HttpResponse<Stream<String>> response = client.send(
                anthropic(ANTHROPIC_BODY.formatted(",\"stream\":true")).build(), HttpResponse.BodyHandlers.ofLines());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
        List<String> lines = response.body().toList();
        List<String> names = new ArrayList<>();
        List<JsonNode> events = new ArrayList<>();
        for (int i = 0; i < lines.size(); i += 3) {
            assertThat(lines.get(i)).startsWith("event: ");
            assertThat(lines.get(i + 1)).startsWith("data: ");
            assertThat(lines.get(i + 2)).isEmpty();
            names.add(lines.get(i).substring("event: ".length()));
            events.add(JSON.readTree(lines.get(i + 1).substring("data: ".length())));
        }
        int deltas = COMPLETION_TOKENS;
        List<String> expected = new ArrayList<>(List.of("message_start", "content_block_start", "ping"));
        for (int i = 0; i < deltas; i++) {
            expected.add("content_block_delta");
        }
        expected.addAll(List.of("content_block_stop", "message_delta", "message_stop"));
        assertThat(names).containsExactlyElementsOf(expected);
        for (int i = 0; i < events.size(); i++) {
            assertThat(events.get(i).path("type").stringValue()).isEqualTo(names.get(i));
        }

        JsonNode started = events.get(0).path("message");
        assertThat(started.path("id").stringValue()).startsWith("msg_");
        assertThat(started.path("model").stringValue()).isEqualTo("claude-sonnet-4-5");
        assertThat(started.path("content").isEmpty()).isTrue();
        assertThat(started.get("stop_reason").isNull()).isTrue();
        assertThat(started.path("usage").path("input_tokens").intValue()).isEqualTo(PROMPT_TOKENS);
        assertThat(started.path("usage").path("output_tokens").intValue()).isEqualTo(1);
        assertThat(events.get(1).path("content_block").path("type").stringValue()).isEqualTo("text");

        StringBuilder text = new StringBuilder();
        events.subList(3, 3 + deltas).forEach(delta -> {
            assertThat(delta.path("index").intValue()).isZero();
            assertThat(delta.path("delta").path("type").stringValue()).isEqualTo("text_delta");
            text.append(delta.path("delta").path("text").stringValue());
        });
        assertThat(text).hasToString(REPLY);

        JsonNode messageDelta = events.get(events.size() - 2);
        assertThat(messageDelta.path("delta").path("stop_reason").stringValue()).isEqualTo("end_turn");
        assertThat(messageDelta.path("delta").get("stop_sequence").isNull()).isTrue();
        assertThat(messageDelta.path("usage").path("output_tokens").intValue()).isEqualTo(COMPLETION_TOKENS);
    }

    @Test
    void anthropicAcceptsABearerKey() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(provider.baseUrl().resolve("/v1/messages"))
                .header("Authorization", "Bearer " + ANTHROPIC_KEY)
                .header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(ANTHROPIC_BODY.formatted("")))
                .build();

        assertThat(client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        assertThat(provider.lastRequest().credential()).isEqualTo(ANTHROPIC_KEY);
    }

    @Test
    void openAiWithoutKeyIsUnauthorizedInOpenAiShape() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(provider.baseUrl().resolve("/v1/chat/completions"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(OPENAI_BODY.formatted("")))
                .build();

        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(401);
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertThat(error.path("message").stringValue()).startsWith("You didn't provide an API key.");
        assertThat(error.path("type").stringValue()).isEqualTo("invalid_request_error");
        assertThat(error.has("param")).isTrue();
        assertThat(error.get("param").isNull()).isTrue();
        assertThat(error.has("code")).isTrue();
        assertThat(provider.lastRequest().credential()).isNull();
        assertThat(provider.lastUsage()).isEmpty();
    }

    @Test
    void anthropicWithoutKeyIsUnauthorizedInAnthropicShape() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(provider.baseUrl().resolve("/v1/messages"))
                .header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(ANTHROPIC_BODY.formatted("")))
                .build();

        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(401);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("type").stringValue()).isEqualTo("error");
        assertThat(body.path("error").path("type").stringValue()).isEqualTo("authentication_error");
        assertThat(body.path("error").path("message").stringValue()).isEqualTo("x-api-key header is required");
    }

    @Test
    void anthropicWithoutVersionIsABadRequest() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(provider.baseUrl().resolve("/v1/messages"))
                .header("x-api-key", ANTHROPIC_KEY)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(ANTHROPIC_BODY.formatted("")))
                .build();

        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("error").path("type").stringValue()).isEqualTo("invalid_request_error");
        assertThat(body.path("error").path("message").stringValue())
                .isEqualTo("anthropic-version: header is required");
    }

    @Test
    void recordsTheCredentialButNeverPrintsIt() throws Exception {
        client.send(openAi(OPENAI_BODY.formatted("")).build(), HttpResponse.BodyHandlers.ofString());

        FakeLlmProvider.RecordedRequest recorded = provider.lastRequest();
        assertThat(recorded.method()).isEqualTo("POST");
        assertThat(recorded.path()).isEqualTo("/v1/chat/completions");
        assertThat(recorded.credential()).isEqualTo(OPENAI_KEY);
        assertThat(recorded.headers()).containsKey("authorization").containsKey("content-type");
        assertThat(recorded.header("Authorization")).isEqualTo("Bearer " + OPENAI_KEY);
        assertThat(recorded.bodyText()).isEqualTo(OPENAI_BODY.formatted(""));
        assertThat(recorded.toString()).contains("***").doesNotContain(OPENAI_KEY);
        assertThat(provider.requests()).containsExactly(recorded);
    }

    @Test
    void recordsAnthropicAndQueryKeysWithoutPrintingThem() throws Exception {
        client.send(anthropic(ANTHROPIC_BODY.formatted("")).build(), HttpResponse.BodyHandlers.ofString());
        FakeLlmProvider.RecordedRequest anthropicRequest = provider.lastRequest();
        HttpResponse<String> gemini = client.send(HttpRequest.newBuilder(provider.baseUrl()
                        .resolve("/v1beta/models/gemini-2.5-flash:generateContent?key=AIza-test-secret"))
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        FakeLlmProvider.RecordedRequest geminiRequest = provider.lastRequest();

        assertThat(anthropicRequest.credential()).isEqualTo(ANTHROPIC_KEY);
        assertThat(anthropicRequest.header("anthropic-version")).isEqualTo("2023-06-01");
        assertThat(anthropicRequest.toString()).doesNotContain(ANTHROPIC_KEY);
        assertThat(gemini.statusCode()).isEqualTo(404);
        assertThat(geminiRequest.credential()).isEqualTo("AIza-test-secret");
        assertThat(geminiRequest.path()).endsWith("?key=AIza-test-secret");
        assertThat(geminiRequest.toString()).contains("key=***").doesNotContain("AIza-test-secret");
    }

    @Test
    void unknownPathIsNotFoundAsJson() throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(provider.baseUrl().resolve("/v1/nothing"))
                .header("Authorization", "Bearer " + OPENAI_KEY).GET().build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(JSON.readTree(response.body()).path("error").path("message").stringValue())
                .isEqualTo("Invalid URL (GET /v1/nothing)");
    }

    @Test
    void respondWithAnswersTheNextRequestOnly() throws Exception {
        String rateLimited = "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\","
                + "\"param\":null,\"code\":\"rate_limit_exceeded\"}}";
        provider.respondWith(429, rateLimited);

        HttpResponse<String> first = client.send(openAi(OPENAI_BODY.formatted("")).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> second = client.send(openAi(OPENAI_BODY.formatted("")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(first.statusCode()).isEqualTo(429);
        assertThat(first.body()).isEqualTo(rateLimited);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(provider.requests()).hasSize(2);
    }

    @Test
    void failWithAnswersWithEachProvidersOwnErrorBody() throws Exception {
        provider.failWith(429);
        provider.failWith(500);

        HttpResponse<String> openAi = client.send(openAi(OPENAI_BODY.formatted("")).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> anthropic = client.send(anthropic(ANTHROPIC_BODY.formatted("")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(openAi.statusCode()).isEqualTo(429);
        assertThat(openAi.headers().firstValue("retry-after")).hasValue("1");
        assertThat(openAi.headers().firstValue("x-request-id")).isPresent();
        JsonNode openAiError = JSON.readTree(openAi.body()).get("error");
        assertThat(openAiError.get("type").asString()).isEqualTo("requests");
        assertThat(openAiError.get("code").asString()).isEqualTo("rate_limit_exceeded");
        assertThat(anthropic.statusCode()).isEqualTo(500);
        JsonNode anthropicError = JSON.readTree(anthropic.body());
        assertThat(anthropicError.get("type").asString()).isEqualTo("error");
        assertThat(anthropicError.get("error").get("type").asString()).isEqualTo("api_error");
        assertThat(anthropic.headers().firstValue("request-id")).hasValue(anthropicError.get("request_id").asString());
        assertThat(client.send(openAi(OPENAI_BODY.formatted("")).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode()).isEqualTo(200);
    }

    @Test
    void resetForgetsEverything() throws IOException, InterruptedException {
        client.send(openAi(OPENAI_BODY.formatted("")).build(), HttpResponse.BodyHandlers.ofString());
        provider.setChunkDelay(Duration.ofMillis(5));
        provider.respondWith(500, "{}");

        provider.reset();

        assertThat(provider.requests()).isEmpty();
        assertThat(provider.lastUsage()).isEmpty();
        assertThat(provider.chunkDelay()).isZero();
        assertThatThrownBy(provider::lastRequest).isInstanceOf(NoSuchElementException.class);
        assertThat(client.send(openAi(OPENAI_BODY.formatted("")).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode()).isEqualTo(200);
    }

    private static HttpRequest.Builder openAi(String body) {
        return HttpRequest.newBuilder(provider.baseUrl().resolve("/v1/chat/completions"))
                .header("Authorization", "Bearer " + OPENAI_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    private static HttpRequest.Builder anthropic(String body) {
        return HttpRequest.newBuilder(provider.baseUrl().resolve("/v1/messages"))
                .header("x-api-key", ANTHROPIC_KEY)
                .header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    /** The {@code data:} payloads of a data-only event stream; each event is one line and a blank line. */
    private static List<String> dataOf(List<String> lines) {
        assertThat(lines.size() % 2).isZero();
        List<String> data = new ArrayList<>();
        for (int i = 0; i < lines.size(); i += 2) {
            assertThat(lines.get(i)).startsWith("data: ");
            assertThat(lines.get(i + 1)).isEmpty();
            data.add(lines.get(i).substring("data: ".length()));
        }
        return data;
    }

    private static List<JsonNode> chunks(List<String> data) {
        return data.stream().filter(payload -> !payload.equals("[DONE]")).map(JSON::readTree).toList();
    }

    private static String contentOf(List<JsonNode> chunks) {
        StringBuilder content = new StringBuilder();
        for (JsonNode chunk : chunks) {
            JsonNode delta = chunk.path("choices").path(0).path("delta");
            if (delta.path("content").isString()) {
                content.append(delta.path("content").stringValue());
            }
        }
        return content.toString();
    }

    @Test
    void countsAStreamWhoseClientLeftBeforeItsEnd() throws Exception {
        provider.setChunkDelay(Duration.ofMillis(100));
        int before = provider.abandonedStreams();
        String body = OPENAI_BODY.formatted(",\"stream\":true");
        try (Socket socket = new Socket("127.0.0.1", provider.port())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + OPENAI_KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            String line;
            do {
                line = in.readLine();
            } while (line != null && !line.startsWith("data:"));
            assertThat(line).as("the first event arrived").isNotNull();
        }

        Awaitility.await().untilAsserted(() -> assertThat(provider.abandonedStreams()).isEqualTo(before + 1));
        Awaitility.await().until(() -> provider.activeStreams() == 0);
    }

    @Test
    void doesNotCountAStreamReadToItsEnd() throws Exception {
        int before = provider.abandonedStreams();
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(provider.baseUrl()
                        .resolve("/v1/chat/completions")).header("Authorization", "Bearer " + OPENAI_KEY)
                .POST(HttpRequest.BodyPublishers.ofString(OPENAI_BODY.formatted(",\"stream\":true"))).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.body()).contains("data: [DONE]");
        assertThat(provider.abandonedStreams()).isEqualTo(before);
    }
}
