package dev.keygate.proxy.metering;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.usage.v1.UsageRecorded;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import jakarta.annotation.PreDestroy;
import org.apache.kafka.clients.admin.NewTopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sends one {@link UsageRecorded} per call to Kafka, keyed by subject, and loses none while Kafka is away.
 *
 * <p>Normally an event goes straight to Kafka, off the event loop. Once a send fails, the publisher switches to the
 * spool: that event and every later one are appended to {@link UsageSpool} on disk (by one writer thread, in arrival
 * order), and one drainer thread sends the spool to Kafka oldest first, probing with a single event while Kafka is
 * away and backing off between attempts. A segment is deleted only after Kafka acknowledged all of it; after a crash
 * the unacknowledged part is sent again, which usage-service absorbs (the event id is its ledger's primary key). When
 * the spool has been drained empty, events go straight to Kafka again.
 *
 * <p>The spool is bounded: while {@link #acceptingCalls()} is false the proxy refuses new calls (503) rather than
 * drop events. Event-loop threads only offer to a queue, wake the sender thread and read volatile counters here.
 */
@Component
public class UsagePublisher {

    private static final Logger log = LoggerFactory.getLogger(UsagePublisher.class);
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(60);
    /** How long the woken sender lets events gather; Kafka lingers 5 ms for a batch anyway. */
    private static final long GATHER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final KafkaTemplate<String, String> template;
    private final JsonMapper json;
    private final SpoolProperties properties;
    private final UsageSpool spool;
    private final long maxBytes;
    private final Queue<byte[]> queue = new ConcurrentLinkedQueue<>();
    /** Events on their way to Kafka, waiting for the sender thread. */
    private final Queue<Pending> outbox = new ConcurrentLinkedQueue<>();
    private final Tracer tracer;
    private final AtomicBoolean senderIdle = new AtomicBoolean();
    private final AtomicLong queuedEvents = new AtomicLong();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicBoolean writeScheduled = new AtomicBoolean();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean refusing = new AtomicBoolean();
    private final Object lock = new Object();
    private final ScheduledExecutorService writer;
    private final ScheduledExecutorService drainer;
    private final Thread sender;
    private volatile boolean closing;
    private final Counter sent;
    private final Counter failed;
    private final Counter spooled;
    private final Counter drained;
    private final Counter refused;
    private final Counter lost;
    private final Counter corrupt;
    private volatile boolean engaged;
    private long backoffMillis;

    @Autowired
    UsagePublisher(KafkaTemplate<String, String> template, JsonMapper json, SpoolProperties properties,
                   MeterRegistry meters, ObjectProvider<Tracer> tracer) {
        this(template, json, properties, meters, tracer.getIfAvailable(() -> Tracer.NOOP));
    }

    UsagePublisher(KafkaTemplate<String, String> template, JsonMapper json, SpoolProperties properties,
                   MeterRegistry meters, Tracer tracer) {
        this.template = template;
        this.tracer = tracer;
        this.json = json;
        this.properties = properties;
        this.maxBytes = properties.maxSize().toBytes();
        this.spool = new UsageSpool(properties.directory(), properties.segmentSize().toBytes());
        this.backoffMillis = 0;
        this.sent = meters.counter("keygate.proxy.usage.publish", "outcome", "sent");
        this.failed = meters.counter("keygate.proxy.usage.publish", "outcome", "failed");
        this.spooled = meters.counter("keygate.proxy.usage.spool.spooled");
        this.drained = meters.counter("keygate.proxy.usage.spool.drained");
        this.refused = meters.counter("keygate.proxy.usage.spool.refused");
        this.lost = meters.counter("keygate.proxy.usage.spool.lost");
        this.corrupt = meters.counter("keygate.proxy.usage.spool.corrupt");
        Gauge.builder("keygate.proxy.usage.spool.bytes", this, UsagePublisher::spoolBytes).baseUnit("bytes")
                .register(meters);
        Gauge.builder("keygate.proxy.usage.spool.events", this, UsagePublisher::spoolEvents).register(meters);
        Gauge.builder("keygate.proxy.usage.spool.segments", spool, UsageSpool::segments).register(meters);
        this.writer = Executors.newSingleThreadScheduledExecutor(daemon("usage-spool-writer"));
        this.drainer = Executors.newSingleThreadScheduledExecutor(daemon("usage-spool-drainer"));
        this.sender = daemon("usage-publisher").newThread(this::sendLoop);
        this.sender.start();
        long fsync = properties.fsyncInterval().toMillis();
        if (fsync > 0) {
            writer.scheduleWithFixedDelay(this::sync, fsync, fsync, TimeUnit.MILLISECONDS);
        }
        if (spool.events() > 0) {
            engaged = true;
            kickDrainer();
        }
    }

    /**
     * Publishes the event without blocking: handed to the sender thread for Kafka, or to the spool while Kafka is (or
     * was just) away. On the caller's thread this is a queue offer and, at most, waking the sender.
     */
    public void publish(UsageRecorded event) {
        publish(event, null);
    }

    /**
     * Publishes the event as {@link #publish(UsageRecorded)} does, its send a child of the call's span: the record's
     * headers carry that trace to usage-service. (The sender thread has no trace of its own to take it from.) Events
     * that go through the spool are sent later without it; their {@code traceId} field still names the call's trace.
     */
    public void publish(UsageRecorded event, Span parent) {
        if (engaged || inFlight.get() >= properties.maxInFlight()) {
            enqueue(json.writeValueAsBytes(event));
            return;
        }
        inFlight.incrementAndGet();
        outbox.add(new Pending(event, parent));
        if (senderIdle.compareAndSet(true, false)) {
            LockSupport.unpark(sender);
        }
    }

    /**
     * The sender thread: serialises queued events and hands them to the Kafka producer, whose own thread batches
     * them ({@code linger.ms}). It runs off the event loop because {@code KafkaTemplate.send} blocks while the
     * producer has no metadata or no buffer space (up to {@code max.block.ms}). Woken by {@link #publish}, it first
     * lets events gather for {@link #GATHER_NANOS}, so a busy proxy pays one wake-up per batch, not per call.
     */
    private void sendLoop() {
        while (!closing) {
            Pending event = outbox.poll();
            if (event == null) {
                senderIdle.set(true);
                if (outbox.isEmpty() && !closing) {
                    LockSupport.park(this);
                    LockSupport.parkNanos(this, GATHER_NANOS);
                }
                senderIdle.set(false);
                continue;
            }
            try {
                if (event.parent() == null) {
                    send(event.event());
                }
                else {
                    try (Tracer.SpanInScope scope = tracer.withSpan(event.parent())) {
                        send(event.event());
                    }
                }
            }
            catch (RuntimeException ex) {
                // Never let one event end the sender: every later event would wait in the queue until the spool took
                // over at max-in-flight.
                log.error("Usage event {} could not be handed to Kafka: {}", event.event().eventId(), ex.toString());
            }
        }
    }

    private void send(UsageRecorded event) {
        String payload;
        try {
            payload = json.writeValueAsString(event);
        }
        catch (RuntimeException ex) {
            inFlight.decrementAndGet();
            lost.increment();
            log.error("Usage event {} could not be serialised and is lost: {}", event.eventId(), ex.toString());
            return;
        }
        if (engaged) {
            // A send failed since this event was queued: it follows the failed one to the spool rather than wait
            // for Kafka here (a send blocks for up to max.block.ms while the producer has no metadata).
            try {
                enqueue(payload.getBytes(StandardCharsets.UTF_8));
            }
            finally {
                inFlight.decrementAndGet();
            }
            return;
        }
        CompletableFuture<?> ack;
        try {
            ack = template.send(Topics.USAGE_RECORDED, event.subjectKey(), payload);
        }
        catch (RuntimeException ex) {
            ack = CompletableFuture.failedFuture(ex);
        }
        ack.whenComplete((result, error) -> {
            try {
                if (error == null) {
                    sent.increment();
                }
                else {
                    failed.increment();
                    log.warn("Usage event {} could not be sent to Kafka ({}); spooling it and the events after it",
                            event.eventId(), error.toString());
                    enqueue(payload.getBytes(StandardCharsets.UTF_8));
                }
            }
            finally {
                inFlight.decrementAndGet();
            }
        });
    }

    /**
     * Whether the proxy may take a new call: false while the spool holds its configured maximum, so that no event of
     * an admitted call is ever dropped. Never blocks.
     */
    public boolean acceptingCalls() {
        boolean full = spoolBytes() >= maxBytes;
        if (full) {
            refused.increment();
            if (refusing.compareAndSet(false, true)) {
                log.error("Usage spool is full ({} bytes, {} events waiting for Kafka, limit {}); refusing new calls "
                        + "with 503 until Kafka takes events back", spoolBytes(), spoolEvents(), properties.maxSize());
            }
        }
        else if (refusing.compareAndSet(true, false)) {
            log.warn("Usage spool below its limit again ({} bytes); accepting calls", spoolBytes());
        }
        return !full;
    }

    long spoolBytes() {
        return spool.bytes() + queuedBytes.get();
    }

    long spoolEvents() {
        return spool.events() + queuedEvents.get();
    }

    private void enqueue(byte[] line) {
        engaged = true;
        queuedEvents.incrementAndGet();
        queuedBytes.addAndGet(line.length + 1L);
        queue.add(line);
        if (writeScheduled.compareAndSet(false, true)) {
            try {
                writer.execute(this::writeQueued);
            }
            catch (RejectedExecutionException ex) {
                writeScheduled.set(false);
                writeQueued();
            }
        }
    }

    /** On the writer thread: appends everything queued as one write, then lets the drainer know. */
    private void writeQueued() {
        writeScheduled.set(false);
        List<byte[]> lines = new ArrayList<>();
        long length = 0;
        for (byte[] line = queue.poll(); line != null; line = queue.poll()) {
            lines.add(line);
            length += line.length + 1L;
        }
        if (lines.isEmpty()) {
            return;
        }
        try {
            spool.append(lines);
            spooled.increment(lines.size());
            if (properties.fsyncInterval().isZero()) {
                spool.sync();
            }
        }
        catch (IOException | RuntimeException ex) {
            lost.increment(lines.size());
            log.error("{} usage event(s) could not be written to the spool in {} and are lost: {}", lines.size(),
                    properties.directory(), ex.toString());
        }
        finally {
            queuedBytes.addAndGet(-length);
            queuedEvents.addAndGet(-lines.size());
        }
        engaged = true;
        kickDrainer();
    }

    private void sync() {
        try {
            spool.sync();
        }
        catch (IOException ex) {
            log.error("Usage spool in {} could not be forced to disk: {}", properties.directory(), ex.toString());
        }
    }

    private void kickDrainer() {
        if (draining.compareAndSet(false, true)) {
            schedule(0);
        }
    }

    private void schedule(long delayMillis) {
        try {
            drainer.schedule(this::drain, delayMillis, TimeUnit.MILLISECONDS);
        }
        catch (RejectedExecutionException ex) {
            draining.set(false);
        }
    }

    /** On the drainer thread: sends the spool oldest first until it is empty or Kafka fails, then reschedules. */
    private void drain() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                // While Kafka is away, probe with one event instead of piling a whole batch into the producer.
                UsageSpool.Batch batch = spool.read(backoffMillis > 0 ? 1 : properties.drainBatch());
                if (batch.lines().isEmpty()) {
                    if (finishIfDrained()) {
                        return;
                    }
                    // The writer has events on their way to disk: look again shortly.
                    schedule(20);
                    return;
                }
                if (!send(batch)) {
                    backoffMillis = backoffMillis == 0 ? properties.retryBackoff().toMillis()
                            : Math.min(backoffMillis * 2, properties.maxRetryBackoff().toMillis());
                    schedule(backoffMillis);
                    return;
                }
                if (backoffMillis > 0) {
                    log.info("Kafka takes usage events again; draining {} spooled event(s)", spool.events());
                    backoffMillis = 0;
                }
                spool.commit(batch);
                drained.increment(batch.lines().size());
            }
        }
        catch (IOException | RuntimeException ex) {
            log.error("Usage spool drain failed, retrying: {}", ex.toString());
            schedule(Math.max(properties.retryBackoff().toMillis(), 100));
        }
    }

    private boolean finishIfDrained() throws IOException {
        synchronized (lock) {
            if (queuedEvents.get() == 0 && spool.clearIfDrained()) {
                engaged = false;
                draining.set(false);
                log.info("Usage spool drained; events go straight to Kafka again");
            }
            else {
                return false;
            }
        }
        // An event may have been spooled between the check and clearing the flag: make sure someone drains it.
        if (spoolEvents() > 0) {
            kickDrainer();
        }
        return true;
    }

    private boolean send(UsageSpool.Batch batch) {
        List<CompletableFuture<?>> acks = new ArrayList<>(batch.lines().size());
        try {
            for (byte[] line : batch.lines()) {
                String payload = new String(line, StandardCharsets.UTF_8);
                String key;
                try {
                    key = json.readValue(line, UsageRecorded.class).subjectKey();
                }
                catch (JacksonException | IllegalArgumentException | NullPointerException ex) {
                    corrupt.increment();
                    log.error("Skipping a spooled line that is not a usage event ({} bytes)", line.length);
                    continue;
                }
                CompletableFuture<?> ack = template.send(Topics.USAGE_RECORDED, key, payload);
                if (ack.isCompletedExceptionally()) {
                    ack.join();
                }
                acks.add(ack);
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new))
                    .get(ACK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        }
        catch (ExecutionException | TimeoutException | RuntimeException ex) {
            if (backoffMillis == 0) {
                log.warn("Kafka does not take spooled usage events ({}); {} event(s) wait in {}", rootCause(ex),
                        spoolEvents(), properties.directory());
            }
            return false;
        }
    }

    @PreDestroy
    void close() {
        closing = true;
        LockSupport.unpark(sender);
        try {
            sender.join(TimeUnit.SECONDS.toMillis(5));
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        // Events the sender did not get to wait in the spool for the next start.
        for (Pending event = outbox.poll(); event != null; event = outbox.poll()) {
            inFlight.decrementAndGet();
            enqueue(json.writeValueAsBytes(event.event()));
        }
        drainer.shutdownNow();
        writer.shutdown();
        try {
            if (!writer.awaitTermination(10, TimeUnit.SECONDS)) {
                log.error("Usage spool writer did not finish in 10 s; {} queued event(s) are lost", queuedEvents.get());
            }
            drainer.awaitTermination(5, TimeUnit.SECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        writeQueued();
        try {
            spool.close();
        }
        catch (IOException ex) {
            log.error("Usage spool in {} could not be closed cleanly: {}", properties.directory(), ex.toString());
        }
        if (spool.events() > 0) {
            log.warn("{} usage event(s) stay spooled in {} and will be sent after the next start", spool.events(),
                    properties.directory());
        }
    }

    private static String rootCause(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.toString();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /** An event for the sender thread, with the span its send continues, if any. */
    private record Pending(UsageRecorded event, Span parent) {
    }

    @Configuration(proxyBeanMethods = false)
    static class Topology {

        @Bean
        NewTopic usageRecordedTopic(@Value("${keygate.kafka.replication-factor}") int replicas) {
            return TopicBuilder.name(Topics.USAGE_RECORDED).partitions(6).replicas(replicas).build();
        }
    }
}
