package dev.keygate.proxy.metering;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;

import dev.keygate.contracts.usage.v1.TokenUsage;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import reactor.core.publisher.Flux;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Ends a streamed answer cleanly at the first event boundary past which the call can no longer be covered by its hard
 * budgets. A call under a hard budget reserved its worst case before it was forwarded; a stream whose request set no
 * output limit may outgrow it. While the stream runs this guard keeps a lower bound of the tokens used so far — the
 * counts the provider already reported (Anthropic's input in {@code message_start}, Gemini's running
 * {@code usageMetadata}) and at least one output token per event that carries generated content — and when that bound
 * passes the reservation it reserves more ({@link #EXTENSION_TOKENS} at a time) from the shares the call already
 * holds. When they cannot cover it, the event that crossed is the last one relayed: the guard appends the provider's
 * own closing events (OpenAI: a {@code finish_reason: "length"} chunk and {@code data: [DONE]}; Anthropic:
 * {@code content_block_stop}, {@code message_delta} with {@code stop_reason: "max_tokens"}, {@code message_stop}),
 * completes the answer and so cancels the upstream call. SDKs see an ordinary answer stopped by its length.
 *
 * <p>Buffers pass through untouched (no copy, no delay) until the cut; the guard only reads them. One per stream,
 * used by the stream's single subscriber.
 */
public final class StreamBudgetGuard {

    /** How many tokens a stream that outgrew its reservation reserves more at a time. */
    static final long EXTENSION_TOKENS = 1024;
    private static final int MAX_EVENT = 1 << 20;
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final JsonMapper json;
    private final String provider;
    private final UsageReader reported;
    private final LongSupplier reserved;
    private final LongPredicate extend;
    private final ByteArrayOutputStream event = new ByteArrayOutputStream();
    private boolean eventOverflowed;
    private byte last;
    private byte beforeLast;
    private long contentEvents;
    private boolean cut;
    /** OpenAI: the last chat completion chunk (its id, model and creation time are reused for the closing chunk). */
    private JsonNode lastChunk;
    private int choices = 1;
    private boolean responsesApi;
    /** Anthropic: the index of the content block open at the moment, or -1. */
    private int openBlock = -1;

    StreamBudgetGuard(JsonMapper json, String provider, LongSupplier reserved, LongPredicate extend) {
        this.json = json;
        this.provider = provider;
        this.reported = UsageReader.forProvider(provider);
        this.reserved = reserved;
        this.extend = extend;
    }

    /** The stream, ended at the event that crossed the budget if one does. */
    public Flux<DataBuffer> guard(Flux<DataBuffer> stream) {
        return stream.map(this::accept).takeUntil(buffer -> cut);
    }

    /** Whether the stream was ended by this guard. */
    public boolean cut() {
        return cut;
    }

    /**
     * The guard's lower bound of what the call used: what the provider reported, with at least one output token per
     * content event. For a stream that was cut, whose provider never sent its final counts.
     */
    public TokenUsage usedAtLeast() {
        TokenUsage usage = reported.usage();
        return new TokenUsage(usage.inputTokens(), Math.max(usage.outputTokens(), contentEvents),
                usage.cacheReadTokens(), usage.cacheWriteTokens(), usage.reasoningTokens());
    }

    DataBuffer accept(DataBuffer buffer) {
        if (cut) {
            return buffer;
        }
        int offset = 0;
        try (DataBuffer.ByteBufferIterator views = buffer.readableByteBuffers()) {
            while (views.hasNext()) {
                ByteBuffer view = views.next();
                while (view.hasRemaining()) {
                    byte b = view.get();
                    offset++;
                    if (!eventOverflowed) {
                        if (event.size() < MAX_EVENT) {
                            event.write(b);
                        }
                        else {
                            eventOverflowed = true;
                        }
                    }
                    boolean ended = b == '\n' && (last == '\n' || last == '\r' && beforeLast == '\n');
                    beforeLast = last;
                    last = b;
                    if (ended) {
                        if (!eventOverflowed) {
                            observe(event.toByteArray());
                        }
                        event.reset();
                        eventOverflowed = false;
                        last = 0;
                        beforeLast = 0;
                        if (crossed()) {
                            cut = true;
                            return cutAt(buffer, offset);
                        }
                    }
                }
            }
        }
        return buffer;
    }

    /** Whether the tokens used so far passed what the call reserved and no more could be reserved. */
    private boolean crossed() {
        TokenUsage used = usedAtLeast();
        long bound = used.inputTokens() + used.outputTokens();
        long held = reserved.getAsLong();
        return bound > held && !extend.test(Math.max(bound - held, EXTENSION_TOKENS));
    }

    private DataBuffer cutAt(DataBuffer buffer, int length) {
        byte[] relayed = new byte[length];
        buffer.read(relayed);
        DataBufferUtils.release(buffer);
        ByteArrayOutputStream out = new ByteArrayOutputStream(length + 512);
        out.writeBytes(relayed);
        out.writeBytes(closing());
        return DefaultDataBufferFactory.sharedInstance.wrap(out.toByteArray());
    }

    private void observe(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        StringBuilder data = new StringBuilder();
        for (String line : text.split("\r?\n")) {
            if (line.startsWith("data:")) {
                if (!data.isEmpty()) {
                    data.append('\n');
                }
                data.append(line.startsWith("data: ") ? line.substring(6) : line.substring(5));
            }
        }
        if (data.isEmpty() || data.toString().equals("[DONE]")) {
            return;
        }
        JsonNode node;
        try {
            node = json.readTree(data.toString());
        }
        catch (JacksonException ex) {
            return;
        }
        if (node == null || !node.isObject()) {
            return;
        }
        reported.read(node);
        switch (provider) {
            case "anthropic" -> anthropic(node);
            case "gemini" -> gemini(node);
            default -> openAi(node);
        }
    }

    private void openAi(JsonNode node) {
        String type = text(node, "type");
        if (type != null && type.startsWith("response.")) {
            // Responses API: response.output_text.delta, response.function_call_arguments.delta, ...
            responsesApi = true;
            contentEvents += type.endsWith(".delta") && nonEmpty(node.get("delta")) ? 1 : 0;
            return;
        }
        JsonNode choiceList = node.get("choices");
        if (choiceList == null || !choiceList.isArray()) {
            return;
        }
        if ("chat.completion.chunk".equals(text(node, "object"))) {
            lastChunk = node;
        }
        for (JsonNode choice : choiceList) {
            choices = Math.max(choices, choice.path("index").asInt(0) + 1);
            JsonNode delta = choice.get("delta");
            boolean content = delta != null && (nonEmpty(delta.get("content")) || nonEmpty(delta.get("refusal"))
                    || nonEmpty(delta.get("reasoning_content")) || delta.has("tool_calls"))
                    || nonEmpty(choice.get("text"));
            contentEvents += content ? 1 : 0;
        }
    }

    private void anthropic(JsonNode node) {
        switch (String.valueOf(text(node, "type"))) {
            case "content_block_start" -> openBlock = node.path("index").asInt(0);
            case "content_block_stop" -> openBlock = -1;
            case "content_block_delta" -> {
                JsonNode delta = node.path("delta");
                if (nonEmpty(delta.get("text")) || nonEmpty(delta.get("partial_json"))
                        || nonEmpty(delta.get("thinking"))) {
                    contentEvents++;
                }
            }
            default -> { }
        }
    }

    private void gemini(JsonNode node) {
        for (JsonNode candidate : node.path("candidates")) {
            for (JsonNode part : candidate.path("content").path("parts")) {
                if (nonEmpty(part.get("text")) || part.has("functionCall")) {
                    contentEvents++;
                    return;
                }
            }
        }
    }

    /** The provider's own end of an answer stopped by its length, after the last relayed event. */
    private byte[] closing() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        switch (provider) {
            case "anthropic" -> {
                if (openBlock >= 0) {
                    event(out, "content_block_stop", object().put("type", "content_block_stop").put("index", openBlock));
                }
                ObjectNode delta = object().put("type", "message_delta");
                delta.putObject("delta").put("stop_reason", "max_tokens").putNull("stop_sequence");
                delta.putObject("usage").put("output_tokens", usedAtLeast().outputTokens());
                event(out, "message_delta", delta);
                event(out, "message_stop", object().put("type", "message_stop"));
            }
            // Gemini's stream has no terminator: each chunk is a whole answer.
            case "gemini" -> { }
            default -> {
                if (lastChunk != null) {
                    ObjectNode chunk = object().put("object", "chat.completion.chunk");
                    chunk.set("id", lastChunk.get("id"));
                    chunk.set("created", lastChunk.get("created"));
                    chunk.set("model", lastChunk.get("model"));
                    var list = chunk.putArray("choices");
                    for (int index = 0; index < choices; index++) {
                        ObjectNode choice = list.addObject().put("index", index);
                        choice.putObject("delta");
                        choice.put("finish_reason", "length");
                    }
                    out.writeBytes(("data: " + json.writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8));
                }
                // The Responses API's stream has no [DONE]; chat and text completions end with it.
                if (!responsesApi) {
                    out.writeBytes(DONE);
                }
            }
        }
        return out.toByteArray();
    }

    private void event(ByteArrayOutputStream out, String name, ObjectNode data) {
        out.writeBytes(("event: " + name + "\ndata: " + json.writeValueAsString(data) + "\n\n")
                .getBytes(StandardCharsets.UTF_8));
    }

    private static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isString() ? value.asString() : null;
    }

    private static boolean nonEmpty(JsonNode value) {
        return value != null && value.isString() && !value.asString().isEmpty();
    }
}
