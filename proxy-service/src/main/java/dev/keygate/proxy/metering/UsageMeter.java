package dev.keygate.proxy.metering;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import dev.keygate.contracts.usage.v1.TokenUsage;
import org.springframework.core.io.buffer.DataBuffer;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads token usage out of a provider's answer as it streams past, without holding or altering it. Server-sent
 * events are scanned line by line and only {@code data:} payloads are parsed; a JSON answer is copied up to a cap
 * and parsed at the end. One meter per call; not thread-safe (a response's buffers arrive in order).
 *
 * <p>Each buffer is copied once, in bulk, into one array the meter reuses for the whole answer; lines are found
 * and checked in that array, and only the unfinished line at its end is kept for the next buffer.
 */
public final class UsageMeter {

    private static final byte[] USAGE_MARKER = "usage".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA_FIELD = "data:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_LINE = 1 << 20;
    private static final int INITIAL_CAPACITY = 1024;

    private final JsonMapper json;
    private final UsageReader reader;
    private final boolean eventStream;
    private final int maxBody;
    /** The JSON body so far, or the stream's unfinished last line, in {@code [0, length)}. */
    private byte[] pending = new byte[0];
    private int length;
    /** JSON: the body passed the cap. Stream: the current line passed {@link #MAX_LINE} and is skipped to its end. */
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
            if (!overflowed && length > 0) {
                line(pending, 0, length);
            }
        }
        else if (!overflowed && length > 0) {
            parse(pending, 0, length);
        }
        length = 0;
        return new MeteredUsage(reader.model(), reader.usage());
    }

    private void scanLines(ByteBuffer view) {
        if (overflowed) {
            // Skip the rest of an over-long line without copying it.
            int end = view.limit();
            int position = view.position();
            while (position < end && view.get(position) != '\n') {
                position++;
            }
            if (position == end) {
                return;
            }
            overflowed = false;
            view.position(position + 1);
        }
        int scanFrom = length;
        append(view, view.remaining());
        int lineStart = 0;
        for (int i = scanFrom; i < length; i++) {
            if (pending[i] == '\n') {
                if (i - lineStart <= MAX_LINE) {
                    line(pending, lineStart, i);
                }
                lineStart = i + 1;
            }
        }
        int rest = length - lineStart;
        if (rest > MAX_LINE) {
            // A line this long is no usage event; its end is looked for without keeping it.
            overflowed = true;
            length = 0;
        }
        else if (lineStart > 0) {
            System.arraycopy(pending, lineStart, pending, 0, rest);
            length = rest;
        }
    }

    private void copyBounded(ByteBuffer view) {
        if (overflowed) {
            return;
        }
        int size = view.remaining();
        if (length + size > maxBody) {
            overflowed = true;
            length = 0;
            pending = new byte[0];
            return;
        }
        append(view, size);
    }

    /** Appends the view's readable bytes (one bulk copy), leaving its position where it was. */
    private void append(ByteBuffer view, int size) {
        int needed = length + size;
        if (needed > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(needed, Math.max(INITIAL_CAPACITY, 2 * pending.length)));
        }
        view.get(view.position(), pending, length, size);
        length = needed;
    }

    /** One line of the stream, {@code [start, end)} without its {@code \n}. */
    private void line(byte[] bytes, int start, int end) {
        if (end > start && bytes[end - 1] == '\r') {
            end--;
        }
        if (end - start < DATA_FIELD.length || !Arrays.equals(bytes, start, start + DATA_FIELD.length, DATA_FIELD, 0,
                DATA_FIELD.length)) {
            return;
        }
        int from = start + DATA_FIELD.length;
        if (from < end && bytes[from] == ' ') {
            from++;
        }
        if (Arrays.equals(bytes, from, end, DONE, 0, DONE.length)) {
            return;
        }
        // Parse only what can matter: the first event (it names the model) and events that mention usage.
        if (!modelSeen || contains(bytes, from, end, USAGE_MARKER)) {
            parse(bytes, from, end - from);
        }
    }

    private void parse(byte[] bytes, int offset, int size) {
        try {
            JsonNode node = json.readTree(bytes, offset, size);
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
        byte first = needle[0];
        outer:
        for (int i = from; i <= to - needle.length; i++) {
            if (haystack[i] != first) {
                continue;
            }
            for (int j = 1; j < needle.length; j++) {
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
