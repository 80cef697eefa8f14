package dev.keygate.local;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;

/**
 * A few client threads calling the proxy's OpenAI route with one proxy key, alternating plain JSON and streamed
 * (SSE) chat completions, each call with a client-side timeout, paced so the load is bounded. Every outcome is kept
 * with the phase (fault) it happened in; every answer is handed to {@code answers} (the leak scan).
 */
final class BoundedLoad implements AutoCloseable {

    /** Past this a call counts as hung: the client gives up and records a timeout. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    /** One call: its phase, HTTP status (0 when there was none), duration, and whether the client timed out. */
    record Outcome(String phase, int status, long millis, boolean timedOut, boolean streamed, String error) {
    }

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> clients = new ArrayList<>();
    private final URI chat;
    private final String proxyKey;
    private final Duration pause;
    private final BiConsumer<String, String> answers;
    private volatile String phase;

    private BoundedLoad(String phase, URI chat, String proxyKey, Duration pause, BiConsumer<String, String> answers) {
        this.phase = phase;
        this.chat = chat;
        this.proxyKey = proxyKey;
        this.pause = pause;
        this.answers = answers;
    }

    /** Starts {@code clients} threads in {@code phase}, each pausing {@code pause} between its calls. */
    static BoundedLoad start(String phase, URI chat, String proxyKey, int clients, Duration pause,
                             BiConsumer<String, String> answers) {
        BoundedLoad load = new BoundedLoad(phase, chat, proxyKey, pause, answers);
        for (int i = 0; i < clients; i++) {
            int client = i;
            Thread thread = new Thread(() -> load.run(client), "reliability-client-" + i);
            thread.setDaemon(true);
            load.clients.add(thread);
            thread.start();
        }
        return load;
    }

    /** The label of the outcomes from now on. */
    void phase(String phase) {
        this.phase = phase;
    }

    private void run(int client) {
        for (int call = 0; running.get(); call++) {
            boolean streamed = call % 2 == 1;
            // Different prompts give different token counts, so a lost or doubled event changes the sums.
            String words = " word".repeat(1 + (client * 7 + call) % 23);
            String body = "{\"model\":\"gpt-4o-mini\"," + (streamed
                    ? "\"stream\":true,\"stream_options\":{\"include_usage\":true}," : "")
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"reliability client " + client + " call " + call
                    + words + "\"}]}";
            outcomes.add(call(body, streamed));
            LockSupport.parkNanos(pause.toNanos());
        }
    }

    /** One call outside the load, with the same timeout and bookkeeping (e.g. another user's key). */
    Outcome call(String key, String body) {
        return send(key, body, false);
    }

    private Outcome call(String body, boolean streamed) {
        return send(proxyKey, body, streamed);
    }

    private Outcome send(String key, String body, boolean streamed) {
        String current = phase;
        long started = System.nanoTime();
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(chat)
                    .timeout(REQUEST_TIMEOUT)
                    .header("Authorization", "Bearer " + key)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            answers.accept("POST " + chat.getPath() + " (" + current + ")",
                    response.headers().map() + "\n" + response.body());
            return new Outcome(current, response.statusCode(), millisSince(started), false, streamed,
                    response.statusCode() == 200 ? null : response.headers().firstValue("content-type").orElse("")
                            + " " + response.body());
        }
        catch (HttpTimeoutException ex) {
            return new Outcome(current, 0, millisSince(started), true, streamed, ex.toString());
        }
        catch (IOException ex) {
            return new Outcome(current, 0, millisSince(started), false, streamed, ex.toString());
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return new Outcome(current, 0, millisSince(started), false, streamed, ex.toString());
        }
    }

    private static long millisSince(long started) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    }

    /** Outcomes so far. */
    List<Outcome> outcomes() {
        return List.copyOf(outcomes);
    }

    List<Outcome> outcomes(String phase) {
        return outcomes.stream().filter(outcome -> outcome.phase().equals(phase)).toList();
    }

    /** Status (0 for none) → count, for one phase. */
    Map<Integer, Long> statuses(String phase) {
        Map<Integer, Long> counts = new TreeMap<>();
        outcomes(phase).forEach(outcome -> counts.merge(outcome.status(), 1L, Long::sum));
        return counts;
    }

    /** Stops the clients after their current call (each ends within {@link #REQUEST_TIMEOUT}). */
    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread client : clients) {
            client.join(REQUEST_TIMEOUT.plusSeconds(5).toMillis());
        }
    }
}
