package dev.keygate.testkit;

import java.io.IOException;
import java.util.Map;
import java.util.Set;

import com.sun.net.httpserver.HttpExchange;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code POST /v1/messages} in Anthropic's wire format: a {@code message} object, or with {@code "stream": true}
 * named server-sent events {@code message_start}, {@code content_block_start}, {@code ping},
 * {@code content_block_delta}..., {@code content_block_stop}, {@code message_delta}, {@code message_stop}.
 */
final class FakeAnthropicMessages {

    static final String PATH = "/v1/messages";

    /**
     * The versions Anthropic accepts in {@code anthropic-version}; the official Java SDK 3.12.0
     * ({@code com.anthropic:anthropic-java}) sends {@code 2026-10-21}.
     */
    private static final Set<String> VERSIONS = Set.of("2023-06-01", "2023-01-01", "2026-10-21");

    private final JsonMapper mapper;
    private final FakeLlmProvider provider;

    FakeAnthropicMessages(JsonMapper mapper, FakeLlmProvider provider) {
        this.mapper = mapper;
        this.provider = provider;
    }

    void handle(HttpExchange exchange, FakeLlmProvider.RecordedRequest request) throws IOException {
        String requestId = WireIds.anthropicRequestId();
        String key = request.header("x-api-key") != null ? request.header("x-api-key")
                : FakeLlmProvider.bearerToken(request);
        if (key == null || key.isBlank()) {
            error(exchange, requestId, 401, "authentication_error", "x-api-key header is required");
            return;
        }
        String version = request.header("anthropic-version");
        if (version == null) {
            error(exchange, requestId, 400, "invalid_request_error", "anthropic-version: header is required");
            return;
        }
        if (!VERSIONS.contains(version)) {
            error(exchange, requestId, 400, "invalid_request_error",
                    "anthropic-version: \"" + version + "\" is not a valid version");
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
            error(exchange, requestId, 400, "invalid_request_error", "The request body is not valid JSON.");
            return;
        }
        String missing = firstMissingField(body);
        if (missing != null) {
            error(exchange, requestId, 400, "invalid_request_error", missing + ": Field required");
            return;
        }
        if (body.path("messages").isEmpty()) {
            error(exchange, requestId, 400, "invalid_request_error", "messages: at least one message is required");
            return;
        }
        FakeLlmConversation conversation = FakeLlmConversation.of(body);
        Message message = new Message(WireIds.anthropicMessageId(), body.path("model").stringValue(), conversation);
        provider.served(conversation.usage());
        Map<String, String> headers = Map.of("request-id", requestId);
        if (body.path("stream").asBoolean(false)) {
            stream(exchange, headers, message);
        }
        else {
            ExchangeReplies.json(exchange, 200, headers, mapper.writeValueAsString(message.toJson()));
        }
    }

    private static String firstMissingField(JsonNode body) {
        if (!body.path("model").isString()) {
            return "model";
        }
        if (!body.path("messages").isArray()) {
            return "messages";
        }
        if (!body.path("max_tokens").isIntegralNumber()) {
            return "max_tokens";
        }
        return null;
    }

    private void stream(HttpExchange exchange, Map<String, String> headers, Message message) throws IOException {
        provider.streamOpened();
        try {
            SseEventWriter events = SseEventWriter.open(exchange, headers, provider.chunkDelay());

            ObjectNode start = event("message_start");
            ObjectNode started = start.putObject("message");
            message.envelope(started);
            started.putNull("stop_reason");
            started.putNull("stop_sequence");
            started.set("usage", message.usageJson(1));
            send(events, start);

            ObjectNode blockStart = event("content_block_start");
            blockStart.put("index", 0);
            blockStart.putObject("content_block").put("type", "text").put("text", "");
            send(events, blockStart);

            // Anthropic writes this one with a space after the colon; kept byte for byte.
            events.event("ping", "{\"type\": \"ping\"}");

            for (String piece : message.conversation.replyPieces()) {
                ObjectNode delta = event("content_block_delta");
                delta.put("index", 0);
                delta.putObject("delta").put("type", "text_delta").put("text", piece);
                send(events, delta);
            }

            ObjectNode blockStop = event("content_block_stop");
            blockStop.put("index", 0);
            send(events, blockStop);

            ObjectNode messageDelta = event("message_delta");
            ObjectNode delta = messageDelta.putObject("delta");
            delta.put("stop_reason", "end_turn");
            delta.putNull("stop_sequence");
            ObjectNode usage = messageDelta.putObject("usage");
            usage.put("input_tokens", message.conversation.promptTokens());
            usage.put("cache_creation_input_tokens", 0);
            usage.put("cache_read_input_tokens", 0);
            usage.put("output_tokens", message.conversation.completionTokens());
            send(events, messageDelta);

            send(events, event("message_stop"));
        }
        catch (IOException ex) {
            provider.streamAbandoned();
            throw ex;
        }
        finally {
            provider.streamClosed();
        }
    }

    private ObjectNode event(String type) {
        return mapper.createObjectNode().put("type", type);
    }

    private void send(SseEventWriter events, ObjectNode event) throws IOException {
        events.event(event.path("type").stringValue(), mapper.writeValueAsString(event));
    }

    private void error(HttpExchange exchange, String requestId, int status, String type, String message)
            throws IOException {
        ObjectNode root = mapper.createObjectNode();
        root.put("type", "error");
        ObjectNode error = root.putObject("error");
        error.put("type", type);
        error.put("message", message);
        root.put("request_id", requestId);
        ExchangeReplies.json(exchange, status, Map.of("request-id", requestId), mapper.writeValueAsString(root));
    }

    /** One message's fixed parts, shared by the whole object and its stream's events. */
    private final class Message {

        private final String id;
        private final String model;
        private final FakeLlmConversation conversation;

        Message(String id, String model, FakeLlmConversation conversation) {
            this.id = id;
            this.model = model;
            this.conversation = conversation;
        }

        ObjectNode toJson() {
            ObjectNode root = mapper.createObjectNode();
            root.put("id", id);
            root.put("type", "message");
            root.put("role", "assistant");
            root.put("model", model);
            root.putArray("content").addObject().put("type", "text").put("text", conversation.reply());
            root.put("stop_reason", "end_turn");
            root.putNull("stop_sequence");
            root.set("usage", usageJson(conversation.completionTokens()));
            return root;
        }

        /** {@code message_start}'s message, in the order the stream sends it: content comes before model there. */
        void envelope(ObjectNode message) {
            message.put("id", id);
            message.put("type", "message");
            message.put("role", "assistant");
            message.putArray("content");
            message.put("model", model);
        }

        ObjectNode usageJson(int outputTokens) {
            ObjectNode usage = mapper.createObjectNode();
            usage.put("input_tokens", conversation.promptTokens());
            usage.put("cache_creation_input_tokens", 0);
            usage.put("cache_read_input_tokens", 0);
            ObjectNode cacheCreation = usage.putObject("cache_creation");
            cacheCreation.put("ephemeral_5m_input_tokens", 0);
            cacheCreation.put("ephemeral_1h_input_tokens", 0);
            usage.put("output_tokens", outputTokens);
            usage.put("service_tier", "standard");
            return usage;
        }
    }
}
