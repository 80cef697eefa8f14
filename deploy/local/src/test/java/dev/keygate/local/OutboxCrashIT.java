package dev.keygate.local;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import dev.keygate.contracts.Topics;
import dev.keygate.testkit.LocalPki;
import dev.keygate.testkit.LocalPostgres;
import dev.keygate.testkit.ServiceCertificate;
import dev.keygate.testkit.TestKafka;
import dev.keygate.testkit.TestKeycloak;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * admin-service killed with SIGKILL between committing changes and relaying them loses no change event: the
 * replication slot keeps every committed outbox insert in PostgreSQL's log until the relay confirms it was written to
 * Kafka, so the next instance relays what the dead one did not.
 */
class OutboxCrashIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static StackWiring wiring;
    private static TestKeycloak keycloak;
    private static Path work;
    private ServiceProcess admin;

    @BeforeAll
    static void servers() throws IOException {
        keycloak = TestKeycloak.shared();
        LocalPostgres postgres = LocalPostgres.shared();
        LocalPki pki = LocalPki.shared();
        Map<KeygateService, ServiceCertificate> certificates = new EnumMap<>(KeygateService.class);
        certificates.put(KeygateService.ADMIN, pki.issue("admin-service"));
        int[] ports = freePorts(9);
        StackPorts stackPorts = new StackPorts(postgres.port(), ports[0], ports[1], keycloak.port(), ports[2], ports[3],
                ports[4], ports[5], ports[6], ports[7], ports[8]);
        // A database, slot and offset topic of its own: the shared RunningStack's admin-service may be running
        // beside it in this JVM's stack, on the same PostgreSQL and Kafka.
        wiring = new StackWiring(stackPorts, null, postgres.database("admincrash", true), null, TestKafka.bootstrapServers(),
                keycloak.issuerUri(), keycloak.adminClientSecret(), null, certificates,
                URI.create("http://127.0.0.1:9"), URI.create("http://127.0.0.1:9"));
        work = Files.createDirectories(Path.of("target", "outbox-crash")).toAbsolutePath();
    }

    @AfterEach
    void stopAdmin() {
        if (admin != null) {
            admin.stop();
        }
    }

    @Test
    void changesCommittedWhileNoRelayRanAreRelayedByTheNextInstance() throws Exception {
        admin = startAdmin(false, "admin-no-relay");
        List<UUID> created = createProxyKeys(20);
        kill(admin);

        admin = startAdmin(true, "admin-relay-after-kill");

        awaitRelayed(created);
    }

    @Test
    void aKillWhileTheRelayIsBusyLosesNothing() throws Exception {
        admin = startAdmin(true, "admin-killed-while-relaying");
        List<UUID> created = createProxyKeys(30);
        kill(admin);

        admin = startAdmin(true, "admin-after-second-kill");

        awaitRelayed(created);
    }

    private ServiceProcess startAdmin(boolean relay, String name) {
        Map<String, String> env = new HashMap<>(ServiceEnvironment.admin(wiring));
        env.put("KEYGATE_OUTBOX_RELAY_ENABLED", String.valueOf(relay));
        env.put("KEYGATE_OUTBOX_SLOT", "keygate_admin_outbox_crash");
        env.put("KEYGATE_OUTBOX_OFFSETTOPIC", "keygate.admin.outbox-offsets.crash");
        Path root = Path.of(System.getProperty("keygate.root", "../..")).toAbsolutePath().normalize();
        ServiceProcess process = ServiceProcess.startJar(name, KeygateService.ADMIN.executableJar(root,
                        System.getProperty("keygate.version", "0.1.0-SNAPSHOT")), KeygateService.ADMIN.jvmOptions(),
                env, work, work.resolve(name + ".log"));
        process.awaitHealthy(KeygateService.ADMIN.healthUrl(wiring.ports()), Duration.ofSeconds(180));
        return process;
    }

    private List<UUID> createProxyKeys(int count) throws Exception {
        String token = keycloak.passwordGrant("alice");
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(
                            URI.create(KeygateService.ADMIN.baseUrl(wiring.ports()) + "/api/v1/proxy-keys"))
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"crash " + i + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            ids.add(UUID.fromString(JSON.readTree(created.body()).get("id").asString()));
        }
        return ids;
    }

    private static void kill(ServiceProcess process) throws InterruptedException {
        process.process().destroyForcibly();
        process.process().waitFor();
    }

    private static void awaitRelayed(List<UUID> created) {
        Set<String> seen = new HashSet<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, wiring.kafkaBootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, "outbox-crash-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            consumer.subscribe(List.of(Topics.ADMIN_PROXY_KEYS));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(record -> seen.add(record.key()));
                return created.stream().allMatch(id -> seen.contains(id.toString()));
            });
        }
    }

    private static int[] freePorts(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
            }
            return sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
        }
        finally {
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        }
    }
}
