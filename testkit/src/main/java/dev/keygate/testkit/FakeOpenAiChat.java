package dev.keygate.testkit;

import java.io.IOException;
import java.time.Instant;
import java.util.Map;

import com.sun.net.httpserver.HttpExchange;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code POST /v1/chat/completions} in OpenAI's wire format: a {@code chat.completion} object, or with
 * {@code "stream": true} data-only server-sent {@code chat.completion.chunk} events ended by {@code data: [DONE]}.
 */
final class FakeOpenAiChat {

    static final String PATH = "/v1/chat/completions";

    /** What OpenAI answers when no {@code Authorization} header comes (401, {@code code} null). */
    static final String MISSING_KEY_MESSAGE = "You didn't provide an API key. You need to provide your API key in an "
            + "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field "
            + "(with blank username) if you're accessing the API from your browser and are prompted for a username and "
            + "password. You can obtain an API key from https://platform.openai.com/account/api-keys.";

    private static final String INVALID_JSON_MESSAGE = "We could not parse the JSON body of your request. (HINT: This "
            + "likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what "
            + "was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through "
            + "our help center at help.openai.com.)";

    private static final String SYSTEM_FINGERPRINT = "fp_0fa4e11b2c";

    private final JsonMapper mapper;
    private final FakeLlmProvider provider;

    FakeOpenAiChat(JsonMapper mapper, FakeLlmProvider provider) {
        this.mapper = mapper;
        this.provider = provider;
    }

    void handle(HttpExchange exchange, FakeLlmProvider.RecordedRequest request) throws IOException {
        if (FakeLlmProvider.bearerToken(request) == null) {
            error(exchange, 401, MISSING_KEY_MESSAGE, null, null);
            return;
        }
        JsonNode body;
        try {
            body = mapper.readTree(request.body());
        }
        catch (JacksonException ex) {
            body = null;
        }
        if (body == null || !body.isObject()) {
            error(exchange, 400, INVALID_JSON_MESSAGE, null, null);
            return;
        }
        JsonNode model = body.path("model");
        if (!model.isString() || model.stringValue().isBlank()) {
            error(exchange, 400, "you must provide a model parameter", null, null);
            return;
        }
        JsonNode messages = body.path("messages");
        if (!messages.isArray()) {
            error(exchange, 400, "Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
            return;
        }
        if (messages.isEmpty()) {
            error(exchange, 400, "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an "
                    + "empty array instead.", "messages", "empty_array");
            return;
        }
        FakeLlmConversation conversation = FakeLlmConversation.of(body);
        Completion completion = new Completion(WireIds.openAiCompletionId(), Instant.now().getEpochSecond(),
                model.stringValue(), conversation);
        provider.served(conversation.usage());
        if (body.path("stream").asBoolean(false)) {
            stream(exchange, completion, body.path("stream_options").path("include_usage").asBoolean(false));
        }
        else {
            ExchangeReplies.json(exchange, 200, responseHeaders(), mapper.writeValueAsString(completion.toJson()));
        }
    }

    private void stream(HttpExchange exchange, Completion completion, boolean includeUsage) throws IOException {
        provider.streamOpened();
        try {
            SseEventWriter events = SseEventWriter.open(exchange, responseHeaders(), provider.chunkDelay());
            ObjectNode roleDelta = mapper.createObjectNode();
            roleDelta.put("role", "assistant");
            roleDelta.put("content", "");
            roleDelta.putNull("refusal");
            events.data(mapper.writeValueAsString(completion.chunk(roleDelta, null, includeUsage)));
            for (String piece : completion.conversation.replyPieces()) {
                ObjectNode contentDelta = mapper.createObjectNode();
                contentDelta.put("content", piece);
                events.data(mapper.writeValueAsString(completion.chunk(contentDelta, null, includeUsage)));
            }
            events.data(mapper.writeValueAsString(completion.chunk(mapper.createObjectNode(), "stop", includeUsage)));
            if (includeUsage) {
                ObjectNode usageChunk = completion.envelope();
                usageChunk.putArray("choices");
                usageChunk.set("usage", completion.usageJson());
                events.data(mapper.writeValueAsString(usageChunk));
            }
            events.data("[DONE]");
        }
        catch (IOException ex) {
            provider.streamAbandoned();
            throw ex;
        }
        finally {
            provider.streamClosed();
        }
    }

    private void error(HttpExchange exchange, int status, String message, String param, String code)
            throws IOException {
        ObjectNode root = mapper.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", message);
        error.put("type", "invalid_request_error");
        putNullable(error, "param", param);
        putNullable(error, "code", code);
        ExchangeReplies.json(exchange, status, responseHeaders(), mapper.writeValueAsString(root));
    }

    private static void putNullable(ObjectNode node, String name, String value) {
        if (value == null) {
            node.putNull(name);
        }
        else {
            node.put(name, value);
        }
    }

    private static Map<String, String> responseHeaders() {
        return Map.of("x-request-id", WireIds.openAiRequestId(), "openai-version", "2020-10-01");
    }

    /** One completion's fixed parts, shared by the whole object and every chunk of its stream. */
    private final class Completion {

        private final String id;
        private final long created;
        private final String model;
        private final FakeLlmConversation conversation;

        Completion(String id, long created, String model, FakeLlmConversation conversation) {
            this.id = id;
            this.created = created;
            this.model = model;
            this.conversation = conversation;
        }

        ObjectNode toJson() {
            ObjectNode root = mapper.createObjectNode();
            root.put("id", id);
            root.put("object", "chat.completion");
            root.put("created", created);
            root.put("model", model);
            ObjectNode choice = root.putArray("choices").addObject();
            choice.put("index", 0);
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            message.put("content", conversation.reply());
            message.putNull("refusal");
            message.putArray("annotations");
            choice.putNull("logprobs");
            choice.put("finish_reason", "stop");
            root.set("usage", usageJson());
            root.put("service_tier", "default");
            root.put("system_fingerprint", SYSTEM_FINGERPRINT);
            return root;
        }

        /**
         * One {@code chat.completion.chunk} with a single choice; with {@code include_usage} every chunk before the
         * usage one carries {@code "usage":null}.
         */
        ObjectNode chunk(ObjectNode delta, String finishReason, boolean includeUsage) {
            ObjectNode chunk = envelope();
            ObjectNode choice = chunk.putArray("choices").addObject();
            choice.put("index", 0);
            choice.set("delta", delta);
            choice.putNull("logprobs");
            putNullable(choice, "finish_reason", finishReason);
            if (includeUsage) {
                chunk.putNull("usage");
            }
            return chunk;
        }

        ObjectNode envelope() {
            ObjectNode chunk = mapper.createObjectNode();
            chunk.put("id", id);
            chunk.put("object", "chat.completion.chunk");
            chunk.put("created", created);
            chunk.put("model", model);
            chunk.put("service_tier", "default");
            chunk.put("system_fingerprint", SYSTEM_FINGERPRINT);
            return chunk;
        }

        ObjectNode usageJson() {
            ObjectNode usage = mapper.createObjectNode();
            usage.put("prompt_tokens", conversation.promptTokens());
            usage.put("completion_tokens", conversation.completionTokens());
            usage.put("total_tokens", conversation.promptTokens() + conversation.completionTokens());
            ObjectNode prompt = usage.putObject("prompt_tokens_details");
            prompt.put("cached_tokens", 0);
            prompt.put("audio_tokens", 0);
            ObjectNode completion = usage.putObject("completion_tokens_details");
            completion.put("reasoning_tokens", 0);
            completion.put("audio_tokens", 0);
            completion.put("accepted_prediction_tokens", 0);
            completion.put("rejected_prediction_tokens", 0);
            return usage;
        }
    }
}
