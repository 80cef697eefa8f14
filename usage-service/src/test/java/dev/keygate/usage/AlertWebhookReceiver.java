package dev.keygate.usage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpServer;

/**
 * A chat-style webhook on loopback that records what usage-service posts to it (budget alerts), one per JVM: the
 * shared test context points {@code keygate.usage.budgets.alert-webhook} here.
 */
public final class AlertWebhookReceiver {

    private static AlertWebhookReceiver instance;

    private final HttpServer server;
    private final List<String> bodies = new CopyOnWriteArrayList<>();

    private AlertWebhookReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hooks/budgets", exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                bodies.add(new String(body.readAllBytes(), StandardCharsets.UTF_8));
            }
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
    }

    public static synchronized AlertWebhookReceiver get() {
        if (instance == null) {
            try {
                instance = new AlertWebhookReceiver();
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
        return instance;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hooks/budgets";
    }

    /** Every body posted so far, in arrival order. */
    public List<String> bodies() {
        return List.copyOf(bodies);
    }
}
