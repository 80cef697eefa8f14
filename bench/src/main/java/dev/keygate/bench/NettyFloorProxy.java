package dev.keygate.bench;

import java.util.Map;
import java.util.Set;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;

/**
 * A yardstick for {@link ProxyBenchmark}: the least a proxy built on Keygate's own HTTP stack (Reactor Netty server and
 * client, no Spring) can do per call. It forwards method, path, headers and body to the provider, replaces the
 * caller's {@code Authorization} with a fixed provider key, and streams the answer back flushing every chunk, as
 * Keygate does; it authenticates nobody, counts nothing and sends no usage event. Its CPU per call is the floor under
 * Keygate's on the same machine, its throughput the ceiling of any proxy on this stack. Runs in its own JVM:
 * {@code NettyFloorProxy <port> <provider base URL>}.
 */
public final class NettyFloorProxy {

    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "transfer-encoding", "upgrade",
            "te", "trailer", "proxy-connection", "host", "authorization");

    private NettyFloorProxy() {
    }

    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        HttpClient client = HttpClient.create(ConnectionProvider.builder("provider").maxConnections(1000).build())
                .baseUrl(args[1])
                .compress(false);
        DisposableServer server = HttpServer.create()
                .host("127.0.0.1")
                .port(port)
                .handle((request, response) -> client
                        .headers(headers -> {
                            copy(request.requestHeaders(), headers);
                            headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer sk-bench-floor");
                        })
                        .request(request.method())
                        .uri(request.uri())
                        .send(request.receive().retain())
                        .response((answer, body) -> {
                            response.status(answer.status());
                            copy(answer.responseHeaders(), response.responseHeaders());
                            return response.send(body.retain(), buffer -> true).then();
                        })
                        .then())
                .bindNow();
        System.out.println("netty floor proxy listening on 127.0.0.1:" + server.port());
        server.onDispose().block();
    }

    private static void copy(HttpHeaders from, HttpHeaders to) {
        for (Map.Entry<String, String> header : from) {
            if (!HOP_BY_HOP.contains(header.getKey().toLowerCase(java.util.Locale.ROOT))) {
                to.add(header.getKey(), header.getValue());
            }
        }
    }
}
