package dev.keygate.proxy.metering;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import dev.keygate.contracts.usage.v1.TokenUsage;
import org.springframework.core.io.buffer.DataBuffer;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads token usage out of a provider's answer as it streams past, without holding or altering it. Server-sent
 * events are scanned line by line and only {@code data:} payloads are parsed; a JSON answer is copied up to a cap
 * and parsed at the end. One meter per call; not thread-safe (a response's buffers arrive in order).
 */
public final class UsageMeter {

    private static final byte[] USAGE_MARKER = "usage".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_LINE = 1 << 20;

    private final JsonMapper json;
    private final UsageReader reader;
    private final boolean eventStream;
    private final int maxBody;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private boolean overflowed;
    private boolean modelSeen;

    UsageMeter(JsonMapper json, UsageReader reader, boolean eventStream, int maxBody) {
        this.json = json;
        this.reader = reader;
        this.eventStream = eventStream;
        this.maxBody = maxBody;
    }

    /** Whether the answer is a server-sent event stream. */
    public boolean streamed() {
        return eventStream;
    }

    /** Looks at a buffer on its way to the client; its read position is left untouched. */
    public synchronized void accept(DataBuffer buffer) {
        try (DataBuffer.ByteBufferIterator views = buffer.readableByteBuffers()) {
            while (views.hasNext()) {
                ByteBuffer view = views.next();
                if (eventStream) {
                    scanLines(view);
                }
                else {
                    copyBounded(view);
                }
            }
        }
    }

    /** Call once the answer ended (completed, failed or cancelled). */
    public synchronized MeteredUsage finish() {
        if (eventStream) {
            if (pending.size() > 0) {
                line(pending.toByteArray());
            }
        }
        else if (!overflowed && pending.size() > 0) {
            parse(pending.toByteArray(), 0, pending.size());
        }
        pending.reset();
        return new MeteredUsage(reader.model(), reader.usage());
    }

    private void scanLines(ByteBuffer view) {
        while (view.hasRemaining()) {
            byte b = view.get();
            if (b == '\n') {
                line(pending.toByteArray());
                pending.reset();
                overflowed = false;
            }
            else if (!overflowed) {
                if (pending.size() < MAX_LINE) {
                    pending.write(b);
                }
                else {
                    overflowed = true;
                    pending.reset();
                }
            }
        }
    }

    private void copyBounded(ByteBuffer view) {
        if (overflowed) {
            return;
        }
        int length = view.remaining();
        if (pending.size() + length > maxBody) {
            overflowed = true;
            pending.reset();
            return;
        }
        byte[] bytes = new byte[length];
        view.get(bytes);
        pending.write(bytes, 0, length);
    }

    private void line(byte[] line) {
        int length = line.length;
        if (length > 0 && line[length - 1] == '\r') {
            length--;
        }
        if (length < 5 || line[0] != 'd' || line[1] != 'a' || line[2] != 't' || line[3] != 'a' || line[4] != ':') {
            return;
        }
        int start = 5;
        if (start < length && line[start] == ' ') {
            start++;
        }
        if (length - start == 6 && new String(line, start, 6, StandardCharsets.US_ASCII).equals("[DONE]")) {
            return;
        }
        // Parse only what can matter: the first event (it names the model) and events that mention usage.
        if (!modelSeen || contains(line, start, length, USAGE_MARKER)) {
            parse(line, start, length - start);
        }
    }

    private void parse(byte[] bytes, int offset, int length) {
        try {
            JsonNode node = json.readTree(bytes, offset, length);
            if (node != null && node.isObject()) {
                reader.read(node);
                modelSeen = modelSeen || reader.model() != null;
            }
        }
        catch (JacksonException ex) {
            // Not JSON (an HTML error page, a truncated stream): nothing to count, and the client still gets it as is.
        }
    }

    private static boolean contains(byte[] haystack, int from, int to, byte[] needle) {
        outer:
        for (int i = from; i <= to - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** What one call used: the model the provider answered with (may be {@code null}) and its token counts. */
    public record MeteredUsage(String model, TokenUsage usage) {
    }
}
