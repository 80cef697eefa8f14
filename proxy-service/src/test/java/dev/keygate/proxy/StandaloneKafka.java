package dev.keygate.proxy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A real Kafka broker (KRaft, combined broker and controller) as a child JVM on fixed loopback ports, with its data in
 * a directory that survives {@link #stop()}: stopping and starting it again is a broker outage and its return, with
 * topics, offsets and producer state intact. Runs {@code kafka.Kafka} from this test JVM's classpath (spring-kafka-test
 * brings the server jars), as deploy/local's {@code KafkaBrokerProcess} does for the local stack.
 */
public final class StandaloneKafka implements AutoCloseable {

    private static final String CLUSTER_ID = "c3Bvb2wtaXQtY2x1c3RlcgA";

    private final Path directory;
    private final int port;
    private final Path config;
    private Process process;

    public StandaloneKafka(Path directory, int port, int controllerPort) {
        this.directory = directory;
        this.port = port;
        this.config = directory.resolve("server.properties");
        String properties = String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + directory.resolve("data").toAbsolutePath(),
                "auto.create.topics.enable=false",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=3",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0", "");
        String logback = """
                <configuration>
                  <appender name="out" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{20} - %msg%n</pattern></encoder>
                  </appender>
                  <root level="WARN"><appender-ref ref="out"/></root>
                </configuration>
                """;
        try {
            Files.createDirectories(directory);
            Files.writeString(config, properties, StandardCharsets.UTF_8);
            Files.writeString(directory.resolve("logback.xml"), logback, StandardCharsets.UTF_8);
            Process format = launch("kafka.tools.StorageTool", "format", "-t", CLUSTER_ID, "-c", config.toString(),
                    "--ignore-formatted");
            if (!format.waitFor(120, TimeUnit.SECONDS) || format.exitValue() != 0) {
                format.destroyForcibly();
                throw new IllegalStateException("Formatting Kafka's storage failed; see " + log());
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** Starts the broker and waits until its port accepts connections. */
    public void start() {
        try {
            process = launch("kafka.Kafka", config.toString());
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(this::accepting);
    }

    /** Stops the broker (SIGTERM, a controlled shutdown) and waits for the process to end. */
    public void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        process = null;
    }

    @Override
    public void close() {
        stop();
    }

    private boolean accepting() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        }
        catch (IOException ex) {
            return false;
        }
    }

    private Path log() {
        return directory.resolve("kafka.log");
    }

    private Process launch(String mainClass, String... arguments) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
                "-Dlogback.configurationFile=" + directory.resolve("logback.xml").toAbsolutePath()));
        command.add(mainClass);
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
        // The classpath goes in the environment, not on the command line.
        builder.environment().put("CLASSPATH", System.getProperty("java.class.path"));
        Process started = builder.start();
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly, "standalone-kafka-stop"));
        return started;
    }
}
