package dev.keygate.proxy.forwarding;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import reactor.core.publisher.Flux;

/**
 * Removes from an OpenAI-style server-sent event stream the usage chunk the proxy asked for on the client's behalf
 * ({@code data: {..."choices":[],"usage":{...}}}), passing every other event through byte for byte. Events are
 * relayed whole as soon as their blank-line terminator arrives; providers write each event at once, so in practice
 * nothing waits. Stateful: one per stream.
 */
final class UsageChunkFilter {

    private static final byte[] EMPTY_CHOICES = "\"choices\":[]".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] USAGE = "\"usage\":".getBytes(StandardCharsets.US_ASCII);

    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    static Flux<DataBuffer> strip(Flux<DataBuffer> stream) {
        UsageChunkFilter filter = new UsageChunkFilter();
        return stream.concatMapIterable(filter::accept).concatWith(Flux.defer(filter::rest));
    }

    private java.util.List<DataBuffer> accept(DataBuffer buffer) {
        byte[] bytes = new byte[buffer.readableByteCount()];
        buffer.read(bytes);
        DataBufferUtils.release(buffer);
        pending.writeBytes(bytes);
        byte[] all = pending.toByteArray();
        java.util.List<DataBuffer> out = new java.util.ArrayList<>(2);
        ByteArrayOutputStream kept = new ByteArrayOutputStream(all.length);
        int start = 0;
        int end;
        while ((end = eventEnd(all, start)) > 0) {
            if (!isUsageChunk(all, start, end)) {
                kept.write(all, start, end - start);
            }
            start = end;
        }
        pending.reset();
        pending.write(all, start, all.length - start);
        if (kept.size() > 0) {
            out.add(DefaultDataBufferFactory.sharedInstance.wrap(kept.toByteArray()));
        }
        return out;
    }

    private Flux<DataBuffer> rest() {
        return pending.size() == 0 ? Flux.empty()
                : Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(pending.toByteArray()));
    }

    /** The index just past the blank line ending the event that starts at {@code from}, or -1 if it is incomplete. */
    private static int eventEnd(byte[] bytes, int from) {
        for (int i = from; i + 1 < bytes.length; i++) {
            if (bytes[i] == '\n' && bytes[i + 1] == '\n') {
                return i + 2;
            }
            if (bytes[i] == '\n' && bytes[i + 1] == '\r' && i + 2 < bytes.length && bytes[i + 2] == '\n') {
                return i + 3;
            }
        }
        return -1;
    }

    private static boolean isUsageChunk(byte[] bytes, int start, int end) {
        return indexOf(bytes, start, end, EMPTY_CHOICES) >= 0 && indexOf(bytes, start, end, USAGE) >= 0;
    }

    private static int indexOf(byte[] bytes, int start, int end, byte[] wanted) {
        outer:
        for (int i = start; i <= end - wanted.length; i++) {
            for (int j = 0; j < wanted.length; j++) {
                if (bytes[i + j] != wanted[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
