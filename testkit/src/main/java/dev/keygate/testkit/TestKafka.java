package dev.keygate.testkit;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * A real Kafka broker in KRaft mode on loopback, started once per test JVM and stopped at its exit. Topics are
 * created by the services themselves, as they are in production.
 */
public final class TestKafka {

    private static EmbeddedKafkaKraftBroker broker;
    private static KafkaProducer<String, String> producer;

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

    /** Sends one record as a service's outbox relay would, and waits until the broker has it. */
    public static synchronized void publish(String topic, String key, String value) {
        if (producer == null) {
            producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer());
            Runtime.getRuntime().addShutdownHook(new Thread(producer::close, "test-kafka-producer-stop"));
        }
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        }
        catch (Exception ex) {
            throw new IllegalStateException("could not publish to " + topic, ex);
        }
    }
}
