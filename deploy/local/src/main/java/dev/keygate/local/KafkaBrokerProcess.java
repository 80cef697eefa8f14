package dev.keygate.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * A standalone Kafka broker in KRaft mode (combined broker and controller, node 1) as a JVM of its own, running
 * {@code kafka.Kafka} from the launcher's classpath, with its data in {@code <directory>/data}. The storage is
 * formatted once with the fixed {@link #CLUSTER_ID}; later starts reuse it. Internal topics have a single replica
 * and topics are never created automatically: the services create theirs.
 */
public final class KafkaBrokerProcess implements AutoCloseable {

    /**
     * Fixed so that a restart reuses the formatted data ({@code --ignore-formatted}); a different id on existing data
     * makes the broker refuse to start with "Invalid cluster.id".
     */
    public static final String CLUSTER_ID = "a2V5Z2F0ZS1sb2NhbC0xAA";

    /** Heap and collector of the broker JVM. */
    public static final List<String> JVM_OPTIONS = List.of("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC",
            "-Djava.awt.headless=true", "-Dlogback.configurationFile=keygate-kafka-logback.xml");

    private static final String MAIN_CLASS = "kafka.Kafka";
    private static final String STORAGE_TOOL = "kafka.tools.StorageTool";
    private static final Duration FORMAT_TIMEOUT = Duration.ofSeconds(60);

    private final ServiceProcess process;
    private final String bootstrapServers;

    private KafkaBrokerProcess(ServiceProcess process, String bootstrapServers) {
        this.process = process;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * Writes {@code <directory>/server.properties}, formats {@code <directory>/data} unless that happened before, and
     * starts the broker on 127.0.0.1:{@code port} (controller on {@code controllerPort}) with {@code classpath}, which
     * must hold {@code kafka_2.13} and the Kafka server jars. Call {@link #awaitReady(Duration)} next.
     */
    public static KafkaBrokerProcess start(Path directory, int port, int controllerPort, String classpath, Path logFile) {
        Path dataDirectory = directory.resolve("data").toAbsolutePath();
        Path config = directory.resolve("server.properties").toAbsolutePath();
        try {
            Files.createDirectories(dataDirectory);
            Files.writeString(config, render(serverProperties(dataDirectory, port, controllerPort)),
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not prepare Kafka's directory " + directory, e);
        }
        Map<String, String> environment = Map.of("CLASSPATH", classpath);
        if (!Files.exists(dataDirectory.resolve("meta.properties"))) {
            ServiceProcess format = ServiceProcess.start("kafka-storage-format",
                    javaCommand(STORAGE_TOOL, "format", "-t", CLUSTER_ID, "-c", config.toString(),
                            "--ignore-formatted"),
                    environment, directory, logFile);
            try {
                if (!format.process().waitFor(FORMAT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    format.stop();
                    throw new IllegalStateException("Formatting Kafka's storage took over "
                            + FORMAT_TIMEOUT.toSeconds() + " s; see " + logFile);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                format.stop();
                throw new IllegalStateException("Interrupted while formatting Kafka's storage", e);
            }
            if (format.process().exitValue() != 0) {
                throw new IllegalStateException("Formatting Kafka's storage failed (exit code "
                        + format.process().exitValue() + "). Last lines of " + logFile + ":\n" + format.logTail(20));
            }
        }
        ServiceProcess broker = ServiceProcess.start("kafka", javaCommand(MAIN_CLASS, config.toString()), environment,
                directory, logFile);
        return new KafkaBrokerProcess(broker, "127.0.0.1:" + port);
    }

    /**
     * The broker's configuration: combined broker and controller on loopback, single-replica internal topics, no
     * automatic topic creation, data in {@code dataDirectory}.
     */
    public static Map<String, String> serverProperties(Path dataDirectory, int port, int controllerPort) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("process.roles", "broker,controller");
        properties.put("node.id", "1");
        properties.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        properties.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        properties.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        properties.put("controller.listener.names", "CONTROLLER");
        properties.put("inter.broker.listener.name", "PLAINTEXT");
        properties.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        properties.put("log.dirs", dataDirectory.toString());
        properties.put("auto.create.topics.enable", "false");
        properties.put("num.partitions", "1");
        properties.put("default.replication.factor", "1");
        properties.put("min.insync.replicas", "1");
        properties.put("offsets.topic.replication.factor", "1");
        properties.put("offsets.topic.num.partitions", "5");
        properties.put("transaction.state.log.replication.factor", "1");
        properties.put("transaction.state.log.min.isr", "1");
        properties.put("transaction.state.log.num.partitions", "5");
        properties.put("share.coordinator.state.topic.replication.factor", "1");
        properties.put("share.coordinator.state.topic.min.isr", "1");
        properties.put("group.initial.rebalance.delay.ms", "0");
        return properties;
    }

    /** Waits until the broker answers a metadata request with itself as the cluster's node. */
    public void awaitReady(Duration timeout) {
        Properties client = new Properties();
        client.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        client.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        client.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
        client.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "250");
        client.put(AdminClientConfig.CLIENT_ID_CONFIG, "keygate-local-readiness");
        try (Admin admin = Admin.create(client)) {
            process.awaitReady("ready at " + bootstrapServers, timeout,
                    () -> !admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty());
        }
    }

    /** {@code 127.0.0.1:<port>}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The broker's process, for its pid, memory and log. */
    public ServiceProcess process() {
        return process;
    }

    /** SIGTERM (a controlled shutdown), then SIGKILL after {@link ServiceProcess#STOP_TIMEOUT}. */
    public void stop() {
        process.stop();
    }

    @Override
    public void close() {
        stop();
    }

    /** The classpath is passed as {@code CLASSPATH}, not on the command line, where it would fill a page of ps. */
    private static List<String> javaCommand(String mainClass, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(ServiceProcess.javaExecutable().toString());
        command.addAll(JVM_OPTIONS);
        command.add(mainClass);
        command.addAll(List.of(arguments));
        return command;
    }

    private static String render(Map<String, String> properties) {
        StringBuilder text = new StringBuilder("# Written by Keygate's local stack on every start; edits are lost.\n");
        properties.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        return text.toString();
    }
}
