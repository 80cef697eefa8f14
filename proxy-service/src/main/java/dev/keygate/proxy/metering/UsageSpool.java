package dev.keygate.proxy.metering;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk part of the usage spool: append-only segment files {@code usage-<20-digit sequence>.jsonl} holding one
 * {@code UsageRecorded} JSON document per line, oldest segment first. One thread appends ({@link #append}), one thread
 * drains ({@link #read} then {@link #commit}); a segment is deleted only once every line in it was committed, i.e.
 * acknowledged by Kafka. The read position inside a segment is kept in memory only, so after a crash a segment is
 * sent again from its start: consumers deduplicate by event id.
 *
 * <p>A line is written whole or, after a crash in mid-write, left without its newline; such a torn tail is skipped
 * when the segment is read. Lines that are not valid events are reported by the reader's caller, not here.
 */
final class UsageSpool implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(UsageSpool.class);
    private static final String PREFIX = "usage-";
    private static final String SUFFIX = ".jsonl";
    private static final long READ_CHUNK = 64 * 1024;
    private static final long MAX_READ = 64L << 20;

    private final Path directory;
    private final long segmentBytes;
    private final Deque<Segment> segments = new ArrayDeque<>();
    private long nextSequence;
    private volatile long bytes;
    private volatile long events;
    private volatile int segmentCount;
    private FileChannel active;
    private boolean dirty;

    UsageSpool(Path directory, long segmentBytes) {
        this.directory = directory;
        this.segmentBytes = segmentBytes;
        try {
            Files.createDirectories(directory);
            try (Stream<Path> files = Files.list(directory)) {
                for (Path file : files.filter(UsageSpool::isSegment).sorted().toList()) {
                    Segment segment = new Segment(file, sequenceOf(file), Files.size(file), countLines(file));
                    segments.addLast(segment);
                    segmentCount = segments.size();
                    bytes += segment.size;
                    events += segment.lines;
                    nextSequence = segment.sequence + 1;
                }
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Usage spool directory " + directory + " is not usable", ex);
        }
        if (!segments.isEmpty()) {
            log.warn("Usage spool {} holds {} event(s) in {} segment(s) from an earlier run; they will be sent to Kafka",
                    directory, events, segments.size());
        }
    }

    /** Appends whole lines (each a JSON document without newline) to the newest segment, rolling it when full. */
    synchronized void append(List<byte[]> lines) throws IOException {
        if (lines.isEmpty()) {
            return;
        }
        Segment segment = segments.peekLast();
        if (active == null || segment == null || segment.size >= segmentBytes) {
            segment = roll();
        }
        int total = 0;
        for (byte[] line : lines) {
            total += line.length + 1;
        }
        ByteBuffer buffer = ByteBuffer.allocate(total);
        for (byte[] line : lines) {
            buffer.put(line).put((byte) '\n');
        }
        buffer.flip();
        while (buffer.hasRemaining()) {
            active.write(buffer);
        }
        segment.size += total;
        segment.lines += lines.size();
        bytes += total;
        events += lines.size();
        dirty = true;
    }

    /** Forces appended lines to the disk (fsync of the data, not of metadata). */
    synchronized void sync() throws IOException {
        if (dirty && active != null) {
            active.force(false);
            dirty = false;
        }
    }

    /** Up to {@code max} complete lines from the oldest uncommitted position, without moving it. */
    synchronized Batch read(int max) throws IOException {
        while (true) {
            Segment head = segments.peekFirst();
            if (head == null) {
                return new Batch(null, 0, List.of());
            }
            if (head.position >= head.size) {
                if (head.sealed()) {
                    delete(segments.removeFirst());
                    continue;
                }
                return new Batch(head, head.position, List.of());
            }
            long available = head.size - head.position;
            // Enough for max typical events (about 500 bytes each); grows when one line is longer than that.
            long length = Math.min(available, Math.max(READ_CHUNK, (long) max * 1024));
            List<byte[]> lines = new ArrayList<>();
            int start;
            int limit;
            while (true) {
                ByteBuffer buffer = ByteBuffer.allocate((int) length);
                try (FileChannel channel = FileChannel.open(head.file, StandardOpenOption.READ)) {
                    while (buffer.hasRemaining() && channel.read(buffer, head.position + buffer.position()) >= 0) {
                        // read until the buffer is full or the file ends
                    }
                }
                buffer.flip();
                start = 0;
                byte[] data = buffer.array();
                limit = buffer.limit();
                for (int i = 0; i < limit && lines.size() < max; i++) {
                    if (data[i] == '\n') {
                        byte[] line = new byte[i - start];
                        System.arraycopy(data, start, line, 0, line.length);
                        lines.add(line);
                        start = i + 1;
                    }
                }
                if (!lines.isEmpty() || length >= available || length >= MAX_READ) {
                    break;
                }
                length = Math.min(available, Math.min(MAX_READ, length * 2));
            }
            if (lines.isEmpty() && head.sealed()) {
                // A torn last line from a crash in mid-write: nothing more can follow it.
                log.warn("Usage spool segment {} ends with {} byte(s) of an incomplete line; skipping them",
                        head.file.getFileName(), limit);
                bytes -= head.size - head.position;
                head.position = head.size;
                continue;
            }
            return new Batch(head, head.position + start, lines);
        }
    }

    /** Marks a batch as acknowledged: its lines are never read again, and a fully sent sealed segment is deleted. */
    synchronized void commit(Batch batch) throws IOException {
        if (batch.segment() == null || batch.lines().isEmpty()) {
            return;
        }
        Segment segment = batch.segment();
        bytes -= batch.end() - segment.position;
        events -= batch.lines().size();
        segment.position = batch.end();
        if (segment.position >= segment.size && segment.sealed() && segments.peekFirst() == segment) {
            delete(segments.removeFirst());
        }
    }

    /**
     * Deletes every segment if all were sent, so the next outage starts a fresh file; returns whether the spool is
     * now empty. Call with appends stopped (the publisher holds its own lock around this).
     */
    synchronized boolean clearIfDrained() throws IOException {
        for (Segment segment : segments) {
            if (segment.position < segment.size) {
                return false;
            }
        }
        closeActive();
        while (!segments.isEmpty()) {
            delete(segments.removeFirst());
        }
        bytes = 0;
        events = 0;
        return true;
    }

    /** Bytes on disk not yet acknowledged by Kafka; never waits for the lock (called on event-loop threads). */
    long bytes() {
        return bytes;
    }

    /** Events on disk not yet acknowledged by Kafka; never waits for the lock. */
    long events() {
        return events;
    }

    /** Segment files on disk; never waits for the lock (metrics are read on event-loop threads too). */
    int segments() {
        return segmentCount;
    }

    @Override
    public synchronized void close() throws IOException {
        sync();
        closeActive();
    }

    private Segment roll() throws IOException {
        if (active != null) {
            active.force(false);
            closeActive();
        }
        long sequence = nextSequence++;
        Path file = directory.resolve(String.format("%s%020d%s", PREFIX, sequence, SUFFIX));
        active = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        Segment segment = new Segment(file, sequence, 0, 0);
        segment.writable = true;
        segments.addLast(segment);
        segmentCount = segments.size();
        return segment;
    }

    private void closeActive() throws IOException {
        if (active != null) {
            active.close();
            active = null;
            dirty = false;
        }
        for (Segment segment : segments) {
            segment.writable = false;
        }
    }

    private void delete(Segment segment) throws IOException {
        segmentCount = segments.size();
        Files.deleteIfExists(segment.file);
    }

    private static boolean isSegment(Path file) {
        String name = file.getFileName().toString();
        return name.startsWith(PREFIX) && name.endsWith(SUFFIX)
                && name.length() == PREFIX.length() + 20 + SUFFIX.length();
    }

    private static long sequenceOf(Path file) {
        String name = file.getFileName().toString();
        return Long.parseLong(name.substring(PREFIX.length(), PREFIX.length() + 20));
    }

    private static long countLines(Path file) throws IOException {
        long lines = 0;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
            while (channel.read(buffer) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    if (buffer.get() == '\n') {
                        lines++;
                    }
                }
                buffer.clear();
            }
        }
        return lines;
    }

    /** Lines read from one segment and the position just after the last of them. */
    record Batch(Segment segment, long end, List<byte[]> lines) {
    }

    static final class Segment {

        final Path file;
        final long sequence;
        long size;
        long lines;
        long position;
        boolean writable;

        Segment(Path file, long sequence, long size, long lines) {
            this.file = file;
            this.sequence = sequence;
            this.size = size;
            this.lines = lines;
        }

        boolean sealed() {
            return !writable;
        }
    }
}
