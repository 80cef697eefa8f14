package dev.keygate.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;

import dev.keygate.local.KeygateService;
import dev.keygate.local.ServiceEnvironment;
import dev.keygate.local.ServiceProcess;
import dev.keygate.local.StackPorts;
import dev.keygate.local.StackWiring;
import dev.keygate.testkit.LocalPki;
import dev.keygate.testkit.LocalPostgres;
import dev.keygate.testkit.ServiceCertificate;

/**
 * Decrypt throughput and latency of keyvault-service over mutual TLS, on loopback: starts PostgreSQL and keyvault
 * from its runnable jar, stores secrets as admin-service would, then resolves them as the proxy would from a fixed
 * number of concurrent clients (keep-alive connections, TLS sessions reused), for a bounded number of requests.
 *
 * <p>Arguments: {@code [concurrency=8] [requests=20000] [warmup=3000]}. Prints a Markdown report and writes it to
 * {@code bench/results/keyvault-decrypt.md}.
 */
public final class KeyvaultDecryptBenchmark {

    private static final int SECRETS = 200;

    private KeyvaultDecryptBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int concurrency = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int requests = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 3_000;
        Path root = Path.of(System.getProperty("keygate.root", ".")).toAbsolutePath().normalize();
        Path work = Files.createDirectories(root.resolve("bench/target/keyvault-decrypt"));

        LocalPostgres postgres = LocalPostgres.shared();
        LocalPki pki = LocalPki.shared();
        Map<KeygateService, ServiceCertificate> certificates = new EnumMap<>(KeygateService.class);
        certificates.put(KeygateService.KEYVAULT, pki.issue("keyvault-service"));
        ServiceCertificate proxy = pki.issue("proxy-service");
        ServiceCertificate admin = pki.issue("admin-service");
        Path masterKeys = work.resolve("master-keys");
        byte[] master = new byte[32];
        new SecureRandom().nextBytes(master);
        Files.writeString(masterKeys, "1=" + Base64.getEncoder().encodeToString(master) + "\n");
        StackPorts defaults = StackPorts.defaults();
        int port = defaults.keyvault() + 1000;
        StackPorts ports = new StackPorts(postgres.port(), 1, 2, 3, 4, 5, port, port + 1, 6, 7, 9);
        StackWiring wiring = new StackWiring(ports, postgres.database("keyvault", false), null, null, "127.0.0.1:1",
                "http://127.0.0.1:3/realms/keygate", "unused", masterKeys, certificates, URI.create("http://127.0.0.1:5"),
                URI.create("http://127.0.0.1:5"));

        ServiceProcess keyvault = ServiceProcess.startJar("keyvault-service",
                KeygateService.KEYVAULT.executableJar(root, "0.1.0-SNAPSHOT"), KeygateService.KEYVAULT.jvmOptions(),
                ServiceEnvironment.keyvault(wiring), work, work.resolve("keyvault-service.log"));
        try {
            keyvault.awaitHealthy(KeygateService.KEYVAULT.healthUrl(ports), Duration.ofSeconds(120));
            URI base = KeygateService.KEYVAULT.baseUrl(ports);
            HttpClient adminClient = client(admin.sslContext(pki.caCertificate()));
            for (int i = 0; i < SECRETS; i++) {
                String body = "{\"key\":\"sk-bench-" + i + "-" + Base64.getUrlEncoder().encodeToString(master) + "\"}";
                expect200(adminClient.send(HttpRequest.newBuilder(base.resolve("/v1/tenants/bench/users/u" + i
                        + "/keys/openai")).header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            SSLContext tls = proxy.sslContext(pki.caCertificate());
            run(base, tls, concurrency, warmup);
            long started = System.nanoTime();
            long[] latencies = run(base, tls, concurrency, requests);
            double seconds = (System.nanoTime() - started) / 1e9;
            String report = report(concurrency, requests, seconds, latencies, keyvault.rssKiB());
            System.out.println(report);
            Path results = Files.createDirectories(root.resolve("bench/results"));
            Files.writeString(results.resolve("keyvault-decrypt.md"), report);
        }
        finally {
            keyvault.stop();
        }
    }

    private static long[] run(URI base, SSLContext tls, int concurrency, int requests) throws Exception {
        long[] latencies = new long[requests];
        AtomicInteger next = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(concurrency);
        List<Future<?>> running = new ArrayList<>();
        for (int c = 0; c < concurrency; c++) {
            running.add(clients.submit(() -> {
                HttpClient client = client(tls);
                int i;
                while ((i = next.getAndIncrement()) < requests) {
                    String body = "{\"tenantId\":\"bench\",\"userId\":\"u" + (i % SECRETS) + "\",\"provider\":\"openai\"}";
                    long start = System.nanoTime();
                    expect200(client.send(HttpRequest.newBuilder(base.resolve("/v1/resolve"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
                    latencies[i] = System.nanoTime() - start;
                }
                return null;
            }));
        }
        for (Future<?> client : running) {
            client.get();
        }
        clients.shutdown();
        return latencies;
    }

    private static HttpClient client(SSLContext tls) {
        return HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1).build();
    }

    private static void expect200(HttpResponse<String> response) throws IOException {
        if (response.statusCode() != 200) {
            throw new IOException("keyvault answered " + response.statusCode() + ": " + response.body());
        }
    }

    private static String report(int concurrency, int requests, double seconds, long[] latencies, long rssKiB) {
        long[] sorted = latencies.clone();
        Arrays.sort(sorted);
        return """
                # keyvault decrypt over mutual TLS

                %s, %d cores, Java %s. One keyvault-service (%s) and PostgreSQL 17 on loopback; %d concurrent
                HTTP/1.1 keep-alive clients presenting the proxy's certificate; each request is `POST /v1/resolve`:
                certificate identity check, tenant policy and key lookup in PostgreSQL, AES-256-GCM unwrap of the data key
                and decrypt of the secret, and an audit row written in the same transaction. %d secrets, %d measured
                requests after a warm-up.

                | metric | value |
                |---|---|
                | throughput | %.0f decrypts/s |
                | p50 | %.2f ms |
                | p90 | %.2f ms |
                | p99 | %.2f ms |
                | max | %.2f ms |
                | keyvault RSS after the run | %d MiB |
                """.formatted(Instant.now(), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                String.join(" ", KeygateService.KEYVAULT.jvmOptions()), concurrency, SECRETS, requests, requests / seconds,
                percentile(sorted, 0.50), percentile(sorted, 0.90), percentile(sorted, 0.99),
                sorted[sorted.length - 1] / 1e6, rssKiB / 1024);
    }

    private static double percentile(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }
}
