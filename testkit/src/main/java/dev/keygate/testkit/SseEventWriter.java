package dev.keygate.testkit;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpExchange;

/**
 * Writes a {@code text/event-stream} response one event at a time over chunked transfer encoding, flushing after each
 * event and pausing the configured delay between events, so a client sees them arrive as a real provider sends them.
 */
final class SseEventWriter {

    private final OutputStream out;
    private final Duration delay;
    private boolean first = true;

    private SseEventWriter(OutputStream out, Duration delay) {
        this.out = out;
        this.delay = delay;
    }

    /** Sends {@code 200} with the given headers and no length, which makes the JDK server stream chunked. */
    static SseEventWriter open(HttpExchange exchange, Map<String, String> headers, Duration delay) throws IOException {
        headers.forEach(exchange.getResponseHeaders()::set);
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        return new SseEventWriter(exchange.getResponseBody(), delay);
    }

    /** An unnamed event, as OpenAI sends: {@code data: <data>\n\n}. */
    void data(String data) throws IOException {
        write("data: " + data + "\n\n");
    }

    /** A named event, as Anthropic sends: {@code event: <name>\ndata: <data>\n\n}. */
    void event(String name, String data) throws IOException {
        write("event: " + name + "\ndata: " + data + "\n\n");
    }

    private void write(String event) throws IOException {
        if (!first) {
            pause();
        }
        first = false;
        out.write(event.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private void pause() throws InterruptedIOException {
        if (delay.isZero() || delay.isNegative()) {
            return;
        }
        try {
            TimeUnit.NANOSECONDS.sleep(delay.toNanos());
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("stream interrupted: the fake provider is stopping");
        }
    }
}
