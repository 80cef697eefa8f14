package dev.keygate.local;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import dev.keygate.testkit.FakeLlmProvider;
import dev.keygate.testkit.ServiceDatabase;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * The official OpenAI and Anthropic Java SDKs work through the proxy by changing only their base URL and key: JSON
 * and streamed answers arrive as the provider sent them and are metered, and refusals (the proxy's 401, the
 * provider's own 429 and 500) reach them as their own exception types. Then seed 001's envelope route with a real
 * device-bound key from license activation, and seed 003's routes, end to end. Runs on the shared {@link RunningStack}
 * as bob (tenant globex), so other test classes' keys and usage do not mix in.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SdkCompatibilityIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String OPENAI_KEY = "sk-proj-sdk-" + RunningStack.random(28);
    private static final String ANTHROPIC_KEY = "sk-ant-sdk-" + RunningStack.random(28);
    private static final String PROMPT = "Tell the SDK something nice";

    private static RunningStack stack;
    private static FakeLlmProvider provider;
    private static String proxyKey;
    private static String proxyKeyId;
    private static int answered;
    private static final List<String> secrets = new ArrayList<>();

    @BeforeAll
    static void bobHasProviderKeysAndAProxyKey() {
        stack = RunningStack.get();
        provider = stack.provider();
        provider.reset();
        String token = stack.token("bob");
        stack.storeProviderKey(token, "openai", OPENAI_KEY);
        stack.storeProviderKey(token, "anthropic", ANTHROPIC_KEY);
        JsonNode created = stack.createProxyKey(token, "sdk compatibility");
        proxyKey = created.get("key").asString();
        proxyKeyId = created.get("id").asString();
        stack.awaitProxyAccepts(proxyKey);
        secrets.addAll(List.of(OPENAI_KEY, ANTHROPIC_KEY, proxyKey));
    }

    @Test
    @Order(1)
    void theOpenAiSdkGetsAChatCompletionWithItsUsage() {
        ChatCompletion completion = openAi(proxyKey).chat().completions().create(chat().build());
        answered++;

        assertThat(completion.choices().get(0).message().content()).hasValue(FakeLlmProvider.replyTo(PROMPT));
        FakeLlmProvider.RecordedRequest received = provider.lastRequest();
        FakeLlmProvider.Usage expected = FakeLlmProvider.expectedUsage(received.bodyText());
        assertThat(completion.usage()).hasValueSatisfying(usage -> {
            assertThat(usage.promptTokens()).isEqualTo(expected.inputTokens());
            assertThat(usage.completionTokens()).isEqualTo(expected.outputTokens());
        });
        assertThat(received.path()).isEqualTo("/v1/chat/completions");
        assertThat(received.credential()).isEqualTo(OPENAI_KEY);
        assertThat(received.headers().toString()).doesNotContain(proxyKey);
    }

    @Test
    @Order(2)
    void theOpenAiSdksJsonAndStreamedAnswersAreTheProvidersBytes() throws IOException {
        try (HttpResponseFor<ChatCompletion> raw = openAi(proxyKey).chat().completions().withRawResponse()
                .create(chat().build())) {
            assertThat(raw.statusCode()).isEqualTo(200);
            assertThat(readAll(raw.body())).isEqualTo(lastSent());
        }
        answered++;
        ChatCompletionCreateParams streamed = chat()
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        try (HttpResponseFor<StreamResponse<ChatCompletionChunk>> raw = openAi(proxyKey).chat().completions()
                .withRawResponse().createStreaming(streamed)) {
            assertThat(raw.headers().values("content-type")).anySatisfy(type -> assertThat(type).startsWith("text/event-stream"));
            assertThat(readAll(raw.body())).isEqualTo(lastSent());
        }
        answered++;
    }

    @Test
    @Order(3)
    void theOpenAiSdkStreamsAChatCompletionChunkByChunkWithTheFinalUsageChunk() {
        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> stream = openAi(proxyKey).chat().completions().createStreaming(chat()
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            chunks = stream.stream().toList();
        }
        answered++;

        String text = chunks.stream().flatMap(chunk -> chunk.choices().stream())
                .map(choice -> choice.delta().content().orElse("")).collect(Collectors.joining());
        assertThat(text).isEqualTo(FakeLlmProvider.replyTo(PROMPT));
        String sent = new String(lastSent(), StandardCharsets.UTF_8);
        assertThat(chunks).hasSize((int) sent.lines().filter(line -> line.startsWith("data: {")).count());
        FakeLlmProvider.Usage expected = FakeLlmProvider.expectedUsage(provider.lastRequest().bodyText());
        assertThat(chunks.get(chunks.size() - 1).usage()).hasValueSatisfying(usage ->
                assertThat(usage.completionTokens()).isEqualTo(expected.outputTokens()));
    }

    @Test
    @Order(4)
    void theAnthropicSdkGetsAMessageWithItsKeyAsBearerOrAsXApiKey() {
        AnthropicClient bearer = anthropic(builder -> builder.apiKey(proxyKey));
        AnthropicClient xApiKey = anthropic(builder -> builder.putHeader("x-api-key", proxyKey));

        for (AnthropicClient client : List.of(bearer, xApiKey)) {
            Message message = client.messages().create(message().build());
            answered++;

            assertThat(message.content().get(0).text()).hasValueSatisfying(block ->
                    assertThat(block.text()).isEqualTo(FakeLlmProvider.replyTo(PROMPT)));
            FakeLlmProvider.RecordedRequest received = provider.lastRequest();
            FakeLlmProvider.Usage expected = FakeLlmProvider.expectedUsage(received.bodyText());
            assertThat(message.usage().inputTokens()).isEqualTo(expected.inputTokens());
            assertThat(message.usage().outputTokens()).isEqualTo(expected.outputTokens());
            assertThat(received.path()).isEqualTo("/v1/messages");
            assertThat(received.header("x-api-key")).isEqualTo(ANTHROPIC_KEY);
            assertThat(received.header("authorization")).isNull();
            assertThat(received.header("anthropic-version")).as("the SDK's own version, passed on").isNotBlank();
        }
    }

    @Test
    @Order(5)
    void theAnthropicSdkStreamsAMessageEventByEventAsTheProviderSentIt() throws IOException {
        AnthropicClient client = anthropic(builder -> builder.putHeader("x-api-key", proxyKey));
        List<RawMessageStreamEvent> events;
        try (com.anthropic.core.http.StreamResponse<RawMessageStreamEvent> stream =
                     client.messages().createStreaming(message().build())) {
            events = stream.stream().toList();
        }
        answered++;

        String text = events.stream().flatMap(event -> event.contentBlockDelta().stream())
                .flatMap(delta -> delta.delta().text().stream()).map(delta -> delta.text())
                .collect(Collectors.joining());
        assertThat(text).isEqualTo(FakeLlmProvider.replyTo(PROMPT));
        String sent = new String(lastSent(), StandardCharsets.UTF_8);
        // The SDK drops the keep-alive pings; every other event arrives.
        assertThat(events).hasSize((int) sent.lines()
                .filter(line -> line.startsWith("event: ") && !line.equals("event: ping")).count());
        assertThat(events.get(events.size() - 1).isMessageStop()).isTrue();

        try (com.anthropic.core.http.HttpResponseFor<com.anthropic.core.http.StreamResponse<RawMessageStreamEvent>> raw =
                     anthropic(builder -> builder.apiKey(proxyKey)).messages().withRawResponse()
                             .createStreaming(message().build())) {
            assertThat(readAll(raw.body())).isEqualTo(lastSent());
        }
        answered++;
    }

    @Test
    @Order(6)
    void everyAnsweredSdkCallIsInTheLedgerWithTheProvidersTokenCounts() throws Exception {
        ServiceDatabase usage = stack.wiring().usageDatabase();
        String own = "from usage_event where proxy_key_id = '" + proxyKeyId + "' and status = 200";
        await().atMost(Duration.ofSeconds(30)).until(() -> RunningStack.count(usage, "select count(*) " + own) == answered);

        List<String> recorded = RunningStack.rows(usage, "select provider, input_tokens, output_tokens " + own).stream()
                .map(row -> row.get("provider") + ":" + row.get("input_tokens") + ":" + row.get("output_tokens"))
                .sorted().toList();
        List<String> served = provider.requests().stream()
                .map(request -> (request.path().startsWith("/v1/messages") ? "anthropic" : "openai") + ":"
                        + FakeLlmProvider.expectedUsage(request.bodyText()).inputTokens() + ":"
                        + FakeLlmProvider.expectedUsage(request.bodyText()).outputTokens())
                .sorted().toList();
        assertThat(recorded).isEqualTo(served);
        assertThat(RunningStack.count(usage, "select count(*) " + own + " and streamed")).isEqualTo(4);
    }

    @Test
    @Order(7)
    void aWrongProxyKeyIsEachSdksOwnUnauthorizedException() {
        String wrong = "px_" + RunningStack.random(43);
        int before = provider.requests().size();

        com.openai.errors.UnauthorizedException openAi = catchThrowableOfType(
                com.openai.errors.UnauthorizedException.class,
                () -> openAi(wrong).chat().completions().create(chat().build()));
        com.anthropic.errors.UnauthorizedException anthropic = catchThrowableOfType(
                com.anthropic.errors.UnauthorizedException.class,
                () -> anthropic(builder -> builder.putHeader("x-api-key", wrong)).messages().create(message().build()));

        assertThat(openAi.statusCode()).isEqualTo(401);
        assertThat(openAi.getMessage()).contains("Invalid proxy key").doesNotContain(wrong);
        assertThat(anthropic.statusCode()).isEqualTo(401);
        assertThat(anthropic.getMessage()).contains("Invalid proxy key").doesNotContain(wrong);
        assertThat(anthropic.apiMessage()).hasValueSatisfying(message -> assertThat(message).startsWith("Invalid proxy key"));
        assertThat(anthropic.type()).hasValue(com.anthropic.models.ErrorType.AUTHENTICATION_ERROR);
        com.openai.errors.UnauthorizedException providerKey = catchThrowableOfType(
                com.openai.errors.UnauthorizedException.class,
                () -> openAi("sk-proj-" + RunningStack.random(40)).chat().completions().create(chat().build()));
        assertThat(providerKey.getMessage()).contains("neither a Keygate proxy key");
        assertThat(provider.requests()).as("a refused caller never reaches the provider").hasSize(before);
    }

    @Test
    @Order(8)
    void theProvidersOwn429And500ReachEachSdkUnchangedAsItsOwnExceptionTypes() {
        provider.failWith(429);
        com.openai.errors.RateLimitException openAiLimited = catchThrowableOfType(
                com.openai.errors.RateLimitException.class,
                () -> openAi(proxyKey).chat().completions().create(chat().build()));
        assertThat(openAiLimited.statusCode()).isEqualTo(429);
        assertThat(openAiLimited.headers().values("retry-after")).containsExactly("1");
        JsonNode sentError = JSON.readTree(lastSent()).get("error");
        assertThat(openAiLimited.code()).hasValue(sentError.get("code").asString());
        assertThat(openAiLimited.type()).hasValue(sentError.get("type").asString());
        assertThat(openAiLimited.getMessage()).contains(sentError.get("message").asString());

        provider.failWith(500);
        assertThat(catchThrowableOfType(com.openai.errors.InternalServerException.class,
                () -> openAi(proxyKey).chat().completions().create(chat().build())).statusCode()).isEqualTo(500);

        provider.failWith(429);
        com.anthropic.errors.RateLimitException anthropicLimited = catchThrowableOfType(
                com.anthropic.errors.RateLimitException.class,
                () -> anthropic(builder -> builder.apiKey(proxyKey)).messages().create(message().build()));
        assertThat(anthropicLimited.getMessage()).contains("rate_limit_error");
        assertThat(anthropicLimited.headers().values("request-id"))
                .containsExactly(JSON.readTree(lastSent()).get("request_id").asString());

        provider.failWith(500);
        assertThat(catchThrowableOfType(com.anthropic.errors.InternalServerException.class,
                () -> anthropic(builder -> builder.putHeader("x-api-key", proxyKey)).messages().create(message().build()))
                .statusCode()).isEqualTo(500);
    }

    @Test
    @Order(9)
    void aDeviceActivatedWithItsLicenseUsesSeed001sEnvelopeOnlyFromThatDevice() throws Exception {
        // A device's key belongs to its license, so the tenant's organisation key serves it. xAI: no other test
        // class stores an organisation key for it, so theirs stay as they expect.
        String pat = stack.token("pat");
        String orgKey = "xai-org-" + RunningStack.random(28);
        HttpResponse<String> stored = RunningStack.send(HttpRequest.newBuilder(stack.admin("/api/v1/org/provider-keys/xai"))
                .header("Authorization", "Bearer " + pat).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"api_key\":\"" + orgKey + "\"}")));
        assertThat(stored.statusCode()).as(stored.body()).isEqualTo(200);
        HttpResponse<String> license = RunningStack.send(HttpRequest.newBuilder(stack.admin("/api/v1/licenses"))
                .header("Authorization", "Bearer " + pat).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"tier\":\"pro\",\"name\":\"sdk compat desktop\","
                        + "\"max_activations\":2,\"providers\":[\"xai\"]}")));
        assertThat(license.statusCode()).as(license.body()).isEqualTo(201);
        String licenseKey = JSON.readTree(license.body()).get("license_key").asString();
        HttpResponse<String> activated = RunningStack.send(HttpRequest.newBuilder(stack.admin("/activate"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"license_key\":\"" + licenseKey
                        + "\",\"hardware_id\":\"hw-macbook-pro\"}")));
        assertThat(activated.statusCode()).as(activated.body()).isEqualTo(200);
        String deviceKey = seedClientDecryption(JSON.readTree(activated.body()), licenseKey);
        secrets.addAll(List.of(orgKey, licenseKey, deviceKey));
        stack.awaitProxyAccepts(deviceKey);
        String body = "{\"model\":\"grok-3\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello!\"}]}";

        for (String hardware : List.of("", ",\"hardware_id\":\"hw-someone-else\"")) {
            HttpResponse<String> refused = envelope("/proxy/xai/v1/chat/completions",
                    "{\"proxy_key\":\"" + deviceKey + "\"" + hardware + ",\"provider\":\"xai\",\"body\":" + body + "}");
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(refused.headers().firstValue("content-type")).hasValue("application/problem+json");
            assertThat(JSON.readTree(refused.body()).get("error").get("message").asString())
                    .isEqualTo("Hardware ID not activated for this license");
        }
        HttpResponse<String> answer = envelope("/proxy/xai/v1/chat/completions", "{\"proxy_key\":\"" + deviceKey
                + "\",\"hardware_id\":\"hw-macbook-pro\",\"provider\":\"xai\",\"body\":" + body + "}");

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.body().getBytes(StandardCharsets.UTF_8)).isEqualTo(lastSent());
        FakeLlmProvider.RecordedRequest received = provider.lastRequest();
        assertThat(received.credential()).isEqualTo(orgKey);
        assertThat(JSON.readTree(received.bodyText())).isEqualTo(JSON.readTree(body));
        assertThat(received.toString() + received.bodyText()).doesNotContain(deviceKey).doesNotContain("hw-macbook-pro");

        HttpResponse<String> direct = RunningStack.send(HttpRequest.newBuilder(stack.proxy("/api/proxy/xai/v1/chat/completions"))
                .header("Authorization", "Bearer " + deviceKey).header("X-Hardware-Id", "hw-macbook-pro")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(direct.statusCode()).as("the same device on the provider route").isEqualTo(200);
        assertThat(provider.lastRequest().header("x-hardware-id")).isNull();
    }

    @Test
    @Order(10)
    void aMissingProviderKeyIs503OnSeed001sRouteAnd400OnSeed000sRoute() {
        HttpResponse<String> envelope = envelope("/proxy/xai/v1/chat/completions",
                "{\"proxy_key\":\"" + proxyKey + "\",\"provider\":\"xai\",\"body\":{\"model\":\"grok-3\",\"messages\":[]}}");
        HttpResponse<String> direct = RunningStack.send(HttpRequest.newBuilder(stack.proxy("/api/proxy/xai/v1/chat/completions"))
                .header("Authorization", "Bearer " + proxyKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"grok-3\",\"messages\":[]}")));

        assertThat(envelope.statusCode()).isEqualTo(503);
        assertThat(direct.statusCode()).isEqualTo(400);
        for (HttpResponse<String> refused : List.of(envelope, direct)) {
            JsonNode problem = JSON.readTree(refused.body());
            assertThat(problem.get("title").asString()).isEqualTo("API key not configured");
            assertThat(problem.get("error").get("message").asString()).contains("PUT /api/v1/me/provider-keys/xai");
        }
    }

    @Test
    @Order(0)
    // Runs first. On CI its status call once hung for 30 s when it ran after the tests above (twice in a row, never
    // reproduced here in three full runs of this module); see the issue notes.
    void seed003sRoutesAnswerEndToEnd() {
        HttpResponse<String> health = RunningStack.send(HttpRequest.newBuilder(stack.proxy("/health")).GET());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(health.body()).get("status").asString()).isEqualTo("healthy");

        HttpResponse<String> status = RunningStack.send(HttpRequest.newBuilder(stack.proxy("/api/rate-limit-status"))
                .header("x-api-key", proxyKey).GET());
        assertThat(status.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(status.body()).has("remaining")).isTrue();

        HttpResponse<String> query = RunningStack.send(HttpRequest.newBuilder(stack.proxy("/api/analytics-query"))
                .header("x-api-key", proxyKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"query_type\":\"churn_analysis\","
                        + "\"parameters\":{\"time_period\":\"last_90_days\"}}")));
        assertThat(query.statusCode()).as(query.body()).isEqualTo(200);
        assertThat(provider.lastRequest().path()).isEqualTo("/v1/messages");
        assertThat(provider.lastRequest().bodyText()).contains("churn rate patterns for last_90_days");
        // An answered provider call of this key like the SDKs' (counted in the ledger check below).
        answered++;

        HttpResponse<String> refused = RunningStack.send(HttpRequest.newBuilder(stack.proxy("/api/analytics-query"))
                .header("x-api-key", proxyKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"query_type\":\"free_prompt\",\"parameters\":{}}")));
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(refused.body()).get("title").asString()).isEqualTo("Query type not allowed");
    }

    @Test
    @Order(12)
    void noKeyOfThisClassIsInAnyServicesLog() throws IOException {
        for (ServiceProcess service : stack.services()) {
            String logText = Files.readString(service.logFile(), StandardCharsets.ISO_8859_1);
            for (String secret : secrets) {
                assertThat(logText).as(service.name() + " log").doesNotContain(secret);
            }
        }
    }

    private static OpenAIClient openAi(String key) {
        return OpenAIOkHttpClient.builder().baseUrl(stack.proxy("/api/proxy/openai/v1").toString()).apiKey(key)
                .maxRetries(0).build();
    }

    private static AnthropicClient anthropic(Function<AnthropicOkHttpClient.Builder, AnthropicOkHttpClient.Builder> key) {
        return key.apply(AnthropicOkHttpClient.builder().baseUrl(stack.proxy("/api/proxy/anthropic").toString())
                .maxRetries(0)).build();
    }

    private static ChatCompletionCreateParams.Builder chat() {
        return ChatCompletionCreateParams.builder().model("gpt-4o-mini").addUserMessage(PROMPT);
    }

    private static MessageCreateParams.Builder message() {
        return MessageCreateParams.builder().model("claude-3-5-haiku-latest").maxTokens(256).addUserMessage(PROMPT);
    }

    private static HttpResponse<String> envelope(String path, String body) {
        return RunningStack.send(HttpRequest.newBuilder(stack.proxy(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static byte[] readAll(InputStream body) throws IOException {
        try (body) {
            return body.readAllBytes();
        }
    }

    private static byte[] lastSent() {
        List<byte[]> sent = provider.responseBodies();
        return sent.get(sent.size() - 1);
    }

    /** What seed 001's Python client does with {@code POST /activate}'s answer (AES-256-CBC under the license key). */
    private static String seedClientDecryption(JsonNode answer, String licenseKey) throws Exception {
        byte[] license = licenseKey.getBytes(StandardCharsets.UTF_8);
        byte[] key = Arrays.copyOf(Arrays.copyOfRange(license, 0, Math.min(32, license.length)), 32);
        Cipher cipher = Cipher.getInstance("AES/CBC/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
                new IvParameterSpec(Base64.getDecoder().decode(answer.get("iv").asString())));
        byte[] decrypted = cipher.doFinal(Base64.getDecoder().decode(answer.get("encrypted_api_key").asString()));
        return new String(decrypted, 0, decrypted.length - decrypted[decrypted.length - 1], StandardCharsets.UTF_8);
    }
}
