package dev.keygate.testkit;

import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * A real Kafka broker in KRaft mode on loopback, started once per test JVM and stopped at its exit. Topics are
 * created by the services themselves, as they are in production.
 */
public final class TestKafka {

    private static EmbeddedKafkaKraftBroker broker;

    private TestKafka() {
    }

    /** Starts the shared broker on first use and returns its bootstrap servers ({@code 127.0.0.1:port}). */
    public static synchronized String bootstrapServers() {
        if (broker == null) {
            EmbeddedKafkaKraftBroker started = new EmbeddedKafkaKraftBroker(1, 1);
            started.brokerProperty("auto.create.topics.enable", "false");
            started.afterPropertiesSet();
            Runtime.getRuntime().addShutdownHook(new Thread(started::destroy, "test-kafka-stop"));
            broker = started;
        }
        return broker.getBrokersAsString();
    }
}
