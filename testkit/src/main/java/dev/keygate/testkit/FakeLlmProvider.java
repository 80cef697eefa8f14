package dev.keygate.testkit;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A fake LLM provider on 127.0.0.1 that speaks the real providers' wire formats, for tests and the one-machine demo
 * stack. It serves:
 * <ul>
 * <li>{@code POST /v1/chat/completions}: OpenAI Chat Completions. Key in {@code Authorization: Bearer}; without one,
 * 401 {@code {"error":{"message":"You didn't provide an API key...","type":"invalid_request_error","param":null,
 * "code":null}}}. A {@code chat.completion} object, or with {@code "stream":true} {@code data:} events of
 * {@code chat.completion.chunk} (role chunk, one content chunk a word, an empty-delta chunk with
 * {@code finish_reason:"stop"}, with {@code stream_options.include_usage} a last chunk with {@code choices:[]} and the
 * usage while every earlier one carries {@code "usage":null}) ended by {@code data: [DONE]}.</li>
 * <li>{@code POST /v1/messages}: Anthropic Messages. Key in {@code x-api-key} (or {@code Authorization: Bearer});
 * without one, 401 {@code {"type":"error","error":{"type":"authentication_error",...},"request_id":...}}; without a
 * valid {@code anthropic-version}, 400 {@code invalid_request_error}. A {@code message} object, or with
 * {@code "stream":true} the named events {@code message_start} (usage with the input tokens and
 * {@code output_tokens:1}), {@code content_block_start}, {@code ping}, one {@code content_block_delta} a word,
 * {@code content_block_stop}, {@code message_delta} (stop reason and final usage), {@code message_stop}.</li>
 * <li>anything else: 404 with an OpenAI-shaped error.</li>
 * </ul>
 * Any non-blank key is accepted. Streams are written event by event over chunked transfer encoding, each flushed, with
 * {@link #setChunkDelay(Duration)} between events.
 *
 * <p>Replies and token counts are deterministic, for both formats:
 * <ul>
 * <li>reply: {@code "Hello from the fake provider. You said: "} and the first 12 words of the first {@code user}
 * message's text ({@code "nothing"} when it has none) &mdash; see {@link #replyTo(String)};</li>
 * <li>prompt (input) tokens: the words ({@link #countWords(String) whitespace-separated}) of all message text (string
 * content, or the {@code text} of every {@code {"type":"text"}} part), plus 3 per message, plus 3; Anthropic's
 * top-level {@code system} counts as one more message &mdash; see {@link #expectedUsage(String)};</li>
 * <li>completion (output) tokens: the words of the reply, which is also the number of content deltas streamed;</li>
 * <li>cached, reasoning, audio and cache-creation tokens: always 0.</li>
 * </ul>
 *
 * <p>Every request is recorded ({@link #requests()}) before it is answered. {@link #respondWith(int, String)} makes the
 * next request get a canned answer instead, for fault tests.
 */
public final class FakeLlmProvider implements AutoCloseable {

    /** The port {@link #main(String[])} listens on when given none. */
    public static final int DEFAULT_PORT = 18090;

    private static final long KEEP_WAIT_MILLIS = 5_000;

    private static final Logger log = LoggerFactory.getLogger(FakeLlmProvider.class);

    private final HttpServer server;
    private final ExecutorService executor;
    private final boolean shared;
    private final JsonMapper mapper = JsonMapper.builder().build();
    private final FakeOpenAiChat openAi = new FakeOpenAiChat(mapper, this);
    private final FakeAnthropicMessages anthropic = new FakeAnthropicMessages(mapper, this);
    private final List<RecordedRequest> recorded = new CopyOnWriteArrayList<>();
    private final List<byte[]> responses = new CopyOnWriteArrayList<>();
    private final java.util.Set<String> rejected = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Queue<CannedResponse> canned = new ConcurrentLinkedQueue<>();
    private final AtomicInteger activeStreams = new AtomicInteger();
    private final AtomicInteger answering = new AtomicInteger();
    private final AtomicInteger abandonedStreams = new AtomicInteger();
    private volatile Duration chunkDelay = Duration.ZERO;
    private volatile Usage lastUsage;

    private FakeLlmProvider(HttpServer server, ExecutorService executor, boolean shared) {
        this.server = server;
        this.executor = executor;
        this.shared = shared;
    }

    /** A new provider on a free port of 127.0.0.1; close it when done. */
    public static FakeLlmProvider start() {
        return start(0);
    }

    /** A new provider on the given port of 127.0.0.1 ({@code 0} for a free one); close it when done. */
    public static FakeLlmProvider start(int port) {
        return launch(port, false);
    }

    /** The per-JVM provider for tests, on a free port; {@link #close()} leaves it running, JVM exit stops it. */
    public static FakeLlmProvider shared() {
        return SharedProvider.INSTANCE;
    }

    /** Runs a provider standalone on the port given as first argument (default {@value #DEFAULT_PORT}) until killed. */
    public static void main(String[] args) throws InterruptedException {
        FakeLlmProvider provider = start(args.length > 0 ? Integer.parseInt(args[0]) : DEFAULT_PORT);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            provider.close();
            stopped.countDown();
        }, "fake-llm-provider-stop"));
        System.out.println("Fake LLM provider listening on " + provider.baseUrl());
        stopped.await();
    }

    private static FakeLlmProvider launch(int port, boolean shared) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(loopback(), port), 0);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Fake LLM provider could not listen on 127.0.0.1:" + port, ex);
        }
        int boundPort = server.getAddress().getPort();
        AtomicInteger threads = new AtomicInteger();
        ExecutorService executor = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "fake-llm-provider-" + boundPort + "-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        FakeLlmProvider provider = new FakeLlmProvider(server, executor, shared);
        server.createContext("/", provider::handle);
        startDaemon(server);
        log.info("Fake LLM provider listening on {}", provider.baseUrl());
        return provider;
    }

    /**
     * The JDK server's dispatcher thread takes the daemon status of the thread that starts it; starting it from a
     * daemon thread lets a JVM whose tests forgot {@link #close()} (or that holds the shared instance) still exit.
     */
    private static void startDaemon(HttpServer server) {
        Thread starter = new Thread(server::start, "fake-llm-provider-start");
        starter.setDaemon(true);
        starter.start();
        try {
            starter.join();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            server.stop(0);
            throw new IllegalStateException("interrupted while starting the fake LLM provider", ex);
        }
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
        }
        catch (UnknownHostException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** {@code http://127.0.0.1:PORT}, without a trailing slash. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + port());
    }

    /** The port it listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Every request received since start or the last {@link #reset()}, oldest first. */
    public List<RecordedRequest> requests() {
        return List.copyOf(recorded);
    }

    /**
     * The body bytes of every response sent, in order, exactly as written to the wire (before chunked framing):
     * what a transparent proxy must deliver to its client byte for byte.
     * <p>A response's last bytes can reach the client (and the proxy's answer the test) before the handler has kept
     * its copy, so this first waits, up to {@value #KEEP_WAIT_MILLIS} ms, until no answer is still being written.
     */
    public List<byte[]> responseBodies() {
        long deadline = System.nanoTime() + KEEP_WAIT_MILLIS * 1_000_000L;
        while (answering.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(1);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return responses.stream().map(byte[]::clone).toList();
    }

    /**
     * From now on, any request carrying {@code credential} gets OpenAI's 401 {@code invalid_api_key} answer, as a
     * revoked key would; {@code GET /v1/models} (the cheap check call) answers 200 to any other credential.
     */
    public void rejectCredential(String credential) {
        rejected.add(credential);
    }

    /** The latest request received; throws {@link NoSuchElementException} if there is none. */
    public RecordedRequest lastRequest() {
        List<RecordedRequest> all = requests();
        if (all.isEmpty()) {
            throw new NoSuchElementException("the fake LLM provider has received no request");
        }
        return all.get(all.size() - 1);
    }

    /** The token usage of the latest completion served (streamed or not), if any since start or reset. */
    public Optional<Usage> lastUsage() {
        return Optional.ofNullable(lastUsage);
    }

    /** How many streamed responses are being written right now. */
    public int activeStreams() {
        return activeStreams.get();
    }

    /**
     * How many streamed responses could not be written to the end because the client closed the connection (a
     * proxy that cancels its upstream call when its own client goes away causes exactly this); counted since start,
     * not cleared by {@link #reset()}.
     */
    public int abandonedStreams() {
        return abandonedStreams.get();
    }

    /** The pause between two events of a streamed response; zero by default. */
    public Duration chunkDelay() {
        return chunkDelay;
    }

    /** Sets the pause between two events of every streamed response from now on. */
    public void setChunkDelay(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("negative chunk delay: " + delay);
        }
        this.chunkDelay = delay;
    }

    /**
     * Makes the next request, whatever its path, get this status and JSON body instead of its normal answer (it is
     * still recorded). Calls queue up: each answers one request, in order.
     */
    public void respondWith(int status, String body) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("not an HTTP status: " + status);
        }
        canned.add(new CannedResponse(status, body == null ? "" : body));
    }

    /**
     * Makes the next request, whatever its path, fail with this status and the error body the real provider sends
     * for it: Anthropic's {@code {"type":"error","error":{"type":…,"message":…},"request_id":…}} (with a
     * {@code request-id} header) on {@code /v1/messages}, OpenAI's {@code {"error":{"message":…,"type":…,
     * "param":null,"code":…}}} (with {@code x-request-id}) anywhere else. A 429 also carries {@code retry-after: 1}.
     * Queues up with {@link #respondWith(int, String)}; each answers one request, in order.
     */
    public void failWith(int status) {
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("not an HTTP error status: " + status);
        }
        canned.add(new CannedResponse(status, null));
    }

    /** Forgets recorded requests, the last usage and queued {@link #respondWith} answers; the chunk delay goes to 0. */
    public void reset() {
        recorded.clear();
        responses.clear();
        rejected.clear();
        canned.clear();
        lastUsage = null;
        chunkDelay = Duration.ZERO;
    }

    /** Stops listening and ends streams in progress; does nothing on the {@link #shared()} instance. */
    @Override
    public void close() {
        if (!shared) {
            stop();
        }
    }

    private void stop() {
        server.stop(0);
        executor.shutdownNow();
        log.info("Fake LLM provider on port {} stopped", port());
    }

    /**
     * The reply the provider gives to a conversation whose first user message has this text: {@code "Hello from the
     * fake provider. You said: "} and its first 12 words ({@code "nothing"} when it has none).
     */
    public static String replyTo(String firstUserMessage) {
        return FakeLlmConversation.replyTo(firstUserMessage);
    }

    /** The number of whitespace-separated words in {@code text}: the provider's unit of tokens. */
    public static int countWords(String text) {
        return FakeLlmConversation.countWords(text);
    }

    /** The usage the provider reports for this OpenAI or Anthropic request body (JSON). */
    public static Usage expectedUsage(String requestBody) {
        JsonNode request = JsonMapper.builder().build().readTree(requestBody);
        return FakeLlmConversation.of(request).usage();
    }

    void served(Usage usage) {
        lastUsage = usage;
    }

    void streamOpened() {
        activeStreams.incrementAndGet();
    }

    void streamAbandoned() {
        abandonedStreams.incrementAndGet();
    }

    void streamClosed() {
        activeStreams.decrementAndGet();
    }

    /** The token of an {@code Authorization: Bearer <token>} header, or null. */
    static String bearerToken(RecordedRequest request) {
        String authorization = request.header("authorization");
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).trim();
        return token.isEmpty() ? null : token;
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            RecordedRequest request = RecordedRequest.of(exchange);
            recorded.add(request);
            log.debug("Fake LLM provider received {}", request);
            ByteArrayOutputStream sent = new ByteArrayOutputStream();
            TeeOutputStream tee = new TeeOutputStream(exchange.getResponseBody(), sent, responses::add);
            exchange.setStreams(null, tee);
            answering.incrementAndGet();
            try {
                answer(exchange, request);
            }
            finally {
                tee.keep();
                answering.decrementAndGet();
            }
        }
        catch (IOException ex) {
            log.debug("Fake LLM provider lost a client: {}", ex.toString());
        }
        catch (RuntimeException ex) {
            log.error("Fake LLM provider failed on {} {}", exchange.getRequestMethod(), exchange.getRequestURI(), ex);
            if (exchange.getResponseCode() == -1) {
                try {
                    exchange.sendResponseHeaders(500, -1);
                }
                catch (IOException ignored) {
                    // the client is gone as well
                }
            }
        }
    }

    private void answer(HttpExchange exchange, RecordedRequest request) throws IOException {
        CannedResponse next = canned.poll();
        String path = exchange.getRequestURI().getPath();
        if (next != null && next.body() == null) {
            providerError(exchange, next.status(), FakeAnthropicMessages.PATH.equals(path));
            return;
        }
        if (next != null) {
            ExchangeReplies.json(exchange, next.status(), Map.of(), next.body());
            return;
        }
        boolean post = "POST".equals(request.method());
        if (request.credential() != null && rejected.contains(request.credential())) {
            // What OpenAI answers to a revoked or mistyped key.
            ObjectNode root = mapper.createObjectNode();
            ObjectNode error = root.putObject("error");
            error.put("message", "Incorrect API key provided. You can find your API key at "
                    + "https://platform.openai.com/account/api-keys.");
            error.put("type", "invalid_request_error");
            error.putNull("param");
            error.put("code", "invalid_api_key");
            ExchangeReplies.json(exchange, 401, Map.of(), mapper.writeValueAsString(root));
        }
        else if ("GET".equals(request.method()) && "/v1/models".equals(path)) {
            ObjectNode root = mapper.createObjectNode();
            root.put("object", "list");
            ObjectNode model = root.putArray("data").addObject();
            model.put("id", "gpt-4o-mini");
            model.put("object", "model");
            model.put("created", 1721172741);
            model.put("owned_by", "system");
            ExchangeReplies.json(exchange, request.credential() == null ? 401 : 200, Map.of(),
                    mapper.writeValueAsString(root));
        }
        else if (post && FakeOpenAiChat.PATH.equals(path)) {
            openAi.handle(exchange, request);
        }
        else if (post && FakeAnthropicMessages.PATH.equals(path)) {
            anthropic.handle(exchange, request);
        }
        else {
            ObjectNode root = mapper.createObjectNode();
            ObjectNode error = root.putObject("error");
            error.put("message", "Invalid URL (" + request.method() + " " + path + ")");
            error.put("type", "invalid_request_error");
            error.putNull("param");
            error.putNull("code");
            ExchangeReplies.json(exchange, 404, Map.of(), mapper.writeValueAsString(root));
        }
    }

    private void providerError(HttpExchange exchange, int status, boolean anthropic) throws IOException {
        String[] kind = errorKind(status, anthropic);
        Map<String, String> headers = new LinkedHashMap<>();
        if (status == 429) {
            headers.put("retry-after", "1");
        }
        ObjectNode root = mapper.createObjectNode();
        if (anthropic) {
            String requestId = WireIds.anthropicRequestId();
            headers.put("request-id", requestId);
            root.put("type", "error");
            ObjectNode error = root.putObject("error");
            error.put("type", kind[0]);
            error.put("message", kind[1]);
            root.put("request_id", requestId);
        }
        else {
            headers.put("x-request-id", WireIds.openAiRequestId());
            ObjectNode error = root.putObject("error");
            error.put("message", kind[1]);
            error.put("type", kind[0]);
            error.putNull("param");
            if (kind[2] == null) {
                error.putNull("code");
            }
            else {
                error.put("code", kind[2]);
            }
        }
        ExchangeReplies.json(exchange, status, headers, mapper.writeValueAsString(root));
    }

    /** {type, message, OpenAI code} as each provider words its errors. */
    private static String[] errorKind(int status, boolean anthropic) {
        switch (status) {
            case 401:
                return anthropic ? new String[] {"authentication_error", "invalid x-api-key", null}
                        : new String[] {"invalid_request_error", "Incorrect API key provided.", "invalid_api_key"};
            case 403:
                return new String[] {"permission_error", "Your API key does not have permission to use the "
                        + "specified resource.", null};
            case 404:
                return new String[] {anthropic ? "not_found_error" : "invalid_request_error",
                        "The requested resource could not be found.", null};
            case 429:
                return anthropic ? new String[] {"rate_limit_error", "Number of request tokens has exceeded your "
                        + "per-minute rate limit.", null}
                        : new String[] {"requests", "Rate limit reached for requests.", "rate_limit_exceeded"};
            case 529:
                return new String[] {"overloaded_error", "Overloaded", null};
            default:
                return status >= 500
                        ? new String[] {anthropic ? "api_error" : "server_error", "Internal server error", null}
                        : new String[] {"invalid_request_error", "Invalid request.", null};
        }
    }

    /** A canned answer; a {@code null} body means the provider's own error body for the status. */
    private record CannedResponse(int status, String body) {
    }

    private static final class SharedProvider {

        static final FakeLlmProvider INSTANCE = createShared();

        private static FakeLlmProvider createShared() {
            FakeLlmProvider provider = launch(0, true);
            Runtime.getRuntime().addShutdownHook(new Thread(provider::stop, "fake-llm-provider-stop"));
            return provider;
        }
    }

    /** Token counts of one completion, as the provider reported them. */
    public record Usage(int inputTokens, int outputTokens) {

        /** Input plus output tokens. */
        public int totalTokens() {
            return inputTokens + outputTokens;
        }
    }

    /**
     * One request as the provider received it: method, path with query, headers (names lower-cased, values in
     * order), body bytes, and the credential it carried (the {@code Authorization: Bearer} token, else
     * {@code x-api-key}, else {@code x-goog-api-key}, else the {@code key} query parameter; null if none).
     * {@link #toString()} never shows the credential, the headers that carry keys, or a {@code key} query value.
     */
    public record RecordedRequest(String method, String path, Map<String, List<String>> headers, byte[] body,
            String credential) {

        private static final Set<String> SECRET_HEADERS = Set.of("authorization", "proxy-authorization", "x-api-key",
                "x-goog-api-key", "api-key", "cookie");
        private static final Pattern KEY_QUERY_VALUE = Pattern.compile("([?&]key=)[^&]*");

        /** Copies everything; header names are lower-cased and their values merged. */
        public RecordedRequest {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(path, "path");
            Map<String, List<String>> lowerCased = new LinkedHashMap<>();
            headers.forEach((name, values) -> lowerCased
                    .computeIfAbsent(name.toLowerCase(Locale.ROOT), key -> new ArrayList<>())
                    .addAll(values));
            lowerCased.replaceAll((name, values) -> List.copyOf(values));
            headers = Collections.unmodifiableMap(lowerCased);
            body = body == null ? new byte[0] : body.clone();
        }

        static RecordedRequest of(HttpExchange exchange) throws IOException {
            byte[] body = exchange.getRequestBody().readAllBytes();
            URI uri = exchange.getRequestURI();
            String path = uri.getRawQuery() == null ? uri.getRawPath() : uri.getRawPath() + "?" + uri.getRawQuery();
            Map<String, List<String>> headers = new LinkedHashMap<>(exchange.getRequestHeaders());
            RecordedRequest withoutCredential = new RecordedRequest(exchange.getRequestMethod(), path, headers, body,
                    null);
            return new RecordedRequest(exchange.getRequestMethod(), path, headers, body,
                    credentialOf(withoutCredential, uri.getRawQuery()));
        }

        private static String credentialOf(RecordedRequest request, String rawQuery) {
            String bearer = bearerToken(request);
            if (bearer != null) {
                return bearer;
            }
            for (String header : List.of("x-api-key", "x-goog-api-key")) {
                String value = request.header(header);
                if (value != null && !value.isBlank()) {
                    return value.trim();
                }
            }
            if (rawQuery != null) {
                for (String parameter : rawQuery.split("&")) {
                    if (parameter.startsWith("key=") && parameter.length() > 4) {
                        return URLDecoder.decode(parameter.substring(4), StandardCharsets.UTF_8);
                    }
                }
            }
            return null;
        }

        /** A copy of the body. */
        @Override
        public byte[] body() {
            return body.clone();
        }

        /** The body as UTF-8 text. */
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The first value of a header (any case), or null. */
        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof RecordedRequest that
                    && method.equals(that.method)
                    && path.equals(that.path)
                    && headers.equals(that.headers)
                    && Arrays.equals(body, that.body)
                    && Objects.equals(credential, that.credential);
        }

        @Override
        public int hashCode() {
            return Objects.hash(method, path, headers, Arrays.hashCode(body), credential);
        }

        /** Shows no secret: credential, key-carrying headers and {@code key} query values print as {@code ***}. */
        @Override
        public String toString() {
            Map<String, Object> shownHeaders = new LinkedHashMap<>();
            headers.forEach((name, values) -> shownHeaders.put(name, SECRET_HEADERS.contains(name) ? "***" : values));
            return "RecordedRequest[method=" + method
                    + ", path=" + KEY_QUERY_VALUE.matcher(path).replaceAll("$1***")
                    + ", headers=" + shownHeaders
                    + ", body=" + body.length + " bytes"
                    + ", credential=" + (credential == null ? "none" : "***") + "]";
        }
    }

    /**
     * Copies what the handlers write to the client into a buffer, for {@link #responseBodies()}. The copy is kept
     * before the stream is closed, i.e. before the client can see the end of the answer, so a test that got its answer
     * always finds it in {@link #responseBodies()}.
     */
    private static final class TeeOutputStream extends FilterOutputStream {

        private final ByteArrayOutputStream copy;
        private final Consumer<byte[]> keeper;
        private boolean kept;

        TeeOutputStream(OutputStream out, ByteArrayOutputStream copy, Consumer<byte[]> keeper) {
            super(out);
            this.copy = copy;
            this.keeper = keeper;
        }

        /** Keeps the copy once, whether the handler closed the stream or not. */
        synchronized void keep() {
            if (!kept) {
                kept = true;
                keeper.accept(copy.toByteArray());
            }
        }

        @Override
        public void close() throws IOException {
            keep();
            super.close();
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            copy.write(b);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            out.write(bytes, offset, length);
            copy.write(bytes, offset, length);
        }
    }
}
