package dev.keygate.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A deliberately cheap fake of OpenAI's Chat Completions for load runs (the testkit's FakeLlmProvider records every
 * request and is built for assertions, not for tens of thousands of requests a second). {@code POST
 * /v1/chat/completions} answers a fixed {@code chat.completion} with usage, or, when the body asks for
 * {@code "stream":true}, eight {@code chat.completion.chunk} events, a usage chunk and {@code [DONE]}, each flushed on
 * its own; {@code ?delay_ms=N} pauses N ms between events (for time-to-first-byte runs). Runs in its own JVM:
 * {@code BenchProvider <port>}.
 */
public final class BenchProvider {

    private static final byte[] JSON = ("{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"created\":1700000000,"
            + "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
            + "\"Hello from the bench provider, answering quickly so the proxy is what gets measured.\"},"
            + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":14,"
            + "\"total_tokens\":26}}").getBytes(StandardCharsets.UTF_8);
    private static final String CHUNK = "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"},"
            + "\"finish_reason\":null}],\"usage\":null}\n\n";
    private static final byte[] USAGE = ("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,"
            + "\"completion_tokens\":8,\"total_tokens\":20}}\n\n").getBytes(StandardCharsets.UTF_8);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[][] WORDS;

    static {
        String[] words = {"Hello", " from", " the", " bench", " provider", ",", " streaming", "."};
        WORDS = new byte[words.length][];
        for (int i = 0; i < words.length; i++) {
            WORDS[i] = CHUNK.formatted(words[i]).getBytes(StandardCharsets.UTF_8);
        }
    }

    private BenchProvider() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 1024);
        server.setExecutor(Executors.newFixedThreadPool(64));
        server.createContext("/", BenchProvider::handle);
        server.start();
        System.out.println("bench provider listening on 127.0.0.1:" + port);
        new CountDownLatch(1).await();
    }

    private static void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            if (!"/v1/chat/completions".equals(exchange.getRequestURI().getPath())) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            String request = new String(body, StandardCharsets.UTF_8);
            if (!request.contains("\"stream\":true")) {
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, JSON.length);
                exchange.getResponseBody().write(JSON);
                return;
            }
            long delay = delay(exchange.getRequestURI().getQuery());
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.getResponseHeaders().set("Cache-Control", "no-cache");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            for (byte[] word : WORDS) {
                out.write(word);
                out.flush();
                pause(delay);
            }
            out.write(USAGE);
            out.write(DONE);
            out.flush();
        }
    }

    private static long delay(String query) {
        if (query == null || !query.startsWith("delay_ms=")) {
            return 0;
        }
        return Long.parseLong(query.substring("delay_ms=".length()));
    }

    private static void pause(long millis) throws IOException {
        if (millis > 0) {
            try {
                Thread.sleep(millis);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
    }
}
