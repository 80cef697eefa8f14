package dev.keygate.proxy.forwarding;

import java.nio.charset.StandardCharsets;
import java.util.Set;

import org.springframework.http.HttpMethod;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * OpenAI's streamed chat completions report token usage only when the request asks for it
 * ({@code "stream_options": {"include_usage": true}}), in one extra chunk whose {@code choices} is empty. Keygate
 * must bill every call, so for a streamed request that did not ask the proxy asks on the client's behalf, and
 * {@link UsageChunkFilter} removes that extra chunk from what the client receives: the client sees the stream it
 * asked for, the ledger gets the provider's own counts.
 */
final class StreamUsage {

    /** Providers whose chat completions follow OpenAI's streaming protocol. */
    static final Set<String> OPENAI_COMPATIBLE = Set.of("openai", "xai", "openclaw");

    private static final byte[] STREAM_FIELD = "\"stream\"".getBytes(StandardCharsets.US_ASCII);

    private StreamUsage() {
    }

    private static boolean contains(byte[] bytes, byte[] wanted) {
        outer:
        for (int i = 0; i <= bytes.length - wanted.length; i++) {
            for (int j = 0; j < wanted.length; j++) {
                if (bytes[i + j] != wanted[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** Whether this call may be a streamed OpenAI-style chat completion whose request Keygate should look at. */
    static boolean mayAsk(String providerId, HttpMethod method, String path) {
        return OPENAI_COMPATIBLE.contains(providerId) && HttpMethod.POST.equals(method)
                && path.endsWith("/chat/completions");
    }

    /**
     * The request body asking for the usage chunk, or {@code null} when it needs no change: not a streamed request,
     * already asking, or not a JSON object (the provider will answer that one itself).
     */
    static byte[] askingForUsage(byte[] body, JsonMapper json) {
        if (!contains(body, STREAM_FIELD)) {
            // Most chat requests are not streamed: no parse, no change.
            return null;
        }
        JsonNode tree;
        try {
            tree = json.readTree(body);
        }
        catch (JacksonException ex) {
            return null;
        }
        if (!(tree instanceof ObjectNode) || !tree.path("stream").asBoolean(false)) {
            return null;
        }
        ObjectNode request = (ObjectNode) tree;
        JsonNode options = request.get("stream_options");
        if (options != null && !(options instanceof ObjectNode)) {
            return null;
        }
        if (options != null && options.path("include_usage").asBoolean(false)) {
            return null;
        }
        ObjectNode streamOptions = options == null ? request.putObject("stream_options") : (ObjectNode) options;
        streamOptions.put("include_usage", true);
        return json.writeValueAsString(request).getBytes(StandardCharsets.UTF_8);
    }
}
