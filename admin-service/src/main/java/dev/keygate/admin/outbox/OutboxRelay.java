package dev.keygate.admin.outbox;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.jdbc.autoconfigure.DataSourceProperties;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.core.KafkaTemplate;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * Relays outbox inserts from PostgreSQL's write-ahead log to Kafka with Debezium embedded. A batch's log position
 * is committed only after Kafka acknowledged every record of it, so a crash re-sends (at least once) and never
 * loses; consumers de-duplicate by event id. While Kafka is away the batch is sent again until it is acknowledged
 * ({@link OutboxPublisher}), so the relay outlives a broker outage.
 */
class OutboxRelay implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);
    private static final Duration RETRY_BACKOFF = Duration.ofMillis(500);
    private static final Duration MAX_RETRY_BACKOFF = Duration.ofSeconds(10);

    private final OutboxProperties properties;
    private final DataSourceProperties dataSource;
    private final KafkaProperties kafka;
    private final OutboxPublisher publisher;
    private final int replicas;
    private ExecutorService executor;
    private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private volatile boolean running;

    /**
     * @param replicas the replication factor of the relay's offset topic, as for every other Keygate topic: the WAL
     *                 position must survive the loss of a broker
     */
    OutboxRelay(OutboxProperties properties, DataSourceProperties dataSource, KafkaProperties kafka,
                KafkaTemplate<String, String> template, int replicas) {
        this.replicas = replicas;
        this.properties = properties;
        this.dataSource = dataSource;
        this.kafka = kafka;
        this.publisher = new OutboxPublisher(template, () -> running, RETRY_BACKOFF, MAX_RETRY_BACKOFF);
    }

    @Override
    public void start() {
        engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(connectorProperties())
                .notifying(this::relay)
                .using((success, message, error) -> {
                    if (!success && running) {
                        log.error("Outbox relay stopped: {}", message, error);
                    }
                })
                .build();
        executor = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "outbox-relay");
            thread.setDaemon(true);
            return thread;
        });
        running = true;
        executor.execute(engine);
    }

    private void relay(List<RecordChangeEvent<SourceRecord>> events,
                       DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        List<ProducerRecord<String, String>> records = new ArrayList<>(events.size());
        for (RecordChangeEvent<SourceRecord> event : events) {
            SourceRecord record = event.record();
            if (record != null && record.value() != null) {
                records.add(toKafka(record));
            }
        }
        publisher.sendAll(records);
        for (RecordChangeEvent<SourceRecord> event : events) {
            committer.markProcessed(event);
        }
        committer.markBatchFinished();
    }

    private static ProducerRecord<String, String> toKafka(SourceRecord record) {
        ProducerRecord<String, String> out = new ProducerRecord<>(record.topic(), null,
                record.key() == null ? null : record.key().toString(), record.value().toString());
        for (Header header : record.headers()) {
            if (header.value() != null) {
                out.headers().add(new RecordHeader(header.key(), header.value().toString().getBytes(UTF_8)));
            }
        }
        return out;
    }

    private Properties connectorProperties() {
        URI jdbc = URI.create(dataSource.determineUrl().substring("jdbc:".length()));
        String database = jdbc.getPath().substring(1);
        Properties props = new Properties();
        props.setProperty("name", "keygate-admin-outbox");
        props.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        props.setProperty("offset.storage", "org.apache.kafka.connect.storage.KafkaOffsetBackingStore");
        props.setProperty("offset.storage.topic", properties.offsetTopic());
        props.setProperty("offset.storage.partitions", "1");
        props.setProperty("offset.storage.replication.factor", Integer.toString(replicas));
        props.setProperty("offset.flush.interval.ms", "1000");
        props.setProperty("bootstrap.servers", String.join(",", kafka.getBootstrapServers()));
        props.setProperty("database.hostname", jdbc.getHost());
        props.setProperty("database.port", String.valueOf(jdbc.getPort() == -1 ? 5432 : jdbc.getPort()));
        props.setProperty("database.user", dataSource.determineUsername());
        props.setProperty("database.password", dataSource.determinePassword() == null ? "" : dataSource.determinePassword());
        props.setProperty("database.dbname", database);
        props.setProperty("topic.prefix", "keygate-admin");
        props.setProperty("plugin.name", "pgoutput");
        props.setProperty("slot.name", properties.slotName());
        props.setProperty("publication.name", OutboxSlot.PUBLICATION);
        props.setProperty("publication.autocreate.mode", "disabled");
        props.setProperty("table.include.list", "public.outbox_event");
        props.setProperty("snapshot.mode", "no_data");
        // The outbox row is deleted in its own transaction; only the insert is an event.
        props.setProperty("skipped.operations", "u,d,t");
        props.setProperty("tombstones.on.delete", "false");
        props.setProperty("poll.interval.ms", String.valueOf(properties.pollInterval().toMillis()));
        props.setProperty("transforms", "outbox");
        props.setProperty("transforms.outbox.type", "io.debezium.transforms.outbox.EventRouter");
        props.setProperty("transforms.outbox.route.by.field", "aggregatetype");
        props.setProperty("transforms.outbox.route.topic.replacement", "${routedByValue}");
        props.setProperty("transforms.outbox.table.field.event.key", "aggregateid");
        props.setProperty("transforms.outbox.table.fields.additional.placement", "type:header:eventType");
        return props;
    }

    @Override
    public void stop() {
        running = false;
        try {
            if (engine != null) {
                engine.close();
            }
            if (executor != null) {
                executor.shutdown();
                if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                    log.warn("Outbox relay did not stop within 10 s");
                }
            }
        }
        catch (Exception ex) {
            log.warn("Outbox relay did not stop cleanly", ex);
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        // Before the web server (which starts at DEFAULT_PHASE - 2048) and so stopped after it: the last changes
        // committed by requests are still relayed during a graceful shutdown.
        return SmartLifecycle.DEFAULT_PHASE - 4096;
    }
}
