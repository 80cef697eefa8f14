package dev.keygate.proxy.metering;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class UsageSpoolTest {

    @TempDir
    Path directory;

    @Test
    void readsLinesBackInTheOrderTheyWereAppended() throws IOException {
        try (UsageSpool spool = new UsageSpool(directory, 1 << 20)) {
            spool.append(lines("a", "b"));
            spool.append(lines("c"));

            UsageSpool.Batch batch = spool.read(10);

            assertThat(text(batch)).containsExactly("a", "b", "c");
            assertThat(spool.events()).isEqualTo(3);
            assertThat(spool.bytes()).isEqualTo(6);
        }
    }

    @Test
    void readingWithoutCommitGivesTheSameLinesAgain() throws IOException {
        try (UsageSpool spool = new UsageSpool(directory, 1 << 20)) {
            spool.append(lines("a", "b", "c"));

            assertThat(text(spool.read(2))).containsExactly("a", "b");
            assertThat(text(spool.read(2))).containsExactly("a", "b");
            spool.commit(spool.read(2));
            assertThat(text(spool.read(2))).containsExactly("c");
            assertThat(spool.events()).isEqualTo(1);
            assertThat(spool.bytes()).isEqualTo(2);
        }
    }

    @Test
    void deletesASegmentOnlyOnceEveryLineInItWasCommitted() throws IOException {
        try (UsageSpool spool = new UsageSpool(directory, 4)) {
            spool.append(lines("a1", "a2"));
            spool.append(lines("b1"));
            assertThat(segmentFiles()).hasSize(2);

            UsageSpool.Batch first = spool.read(1);
            spool.commit(first);
            assertThat(segmentFiles()).as("half of the first segment is still unacknowledged").hasSize(2);

            spool.commit(spool.read(10));
            assertThat(segmentFiles()).hasSize(1);
            assertThat(spool.segments()).isEqualTo(1);
            assertThat(text(spool.read(10))).containsExactly("b1");
        }
    }

    @Test
    void keepsEverythingUnacknowledgedAcrossARestart() throws IOException {
        try (UsageSpool spool = new UsageSpool(directory, 1 << 20)) {
            spool.append(lines("a", "b", "c"));
            spool.commit(spool.read(1));
        }

        try (UsageSpool reopened = new UsageSpool(directory, 1 << 20)) {
            // The read position is not persisted: a crash resends the acknowledged "a" (consumers dedup by id).
            assertThat(reopened.events()).isEqualTo(3);
            assertThat(text(reopened.read(10))).containsExactly("a", "b", "c");
            reopened.append(lines("d"));
            reopened.commit(reopened.read(10));
            assertThat(text(reopened.read(10))).containsExactly("d");
        }
    }

    @Test
    void skipsATornLastLineLeftByACrash() throws IOException {
        try (UsageSpool spool = new UsageSpool(directory, 1 << 20)) {
            spool.append(lines("a"));
        }
        Files.write(segmentFiles().get(0), "{\"half".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);

        try (UsageSpool reopened = new UsageSpool(directory, 1 << 20)) {
            UsageSpool.Batch batch = reopened.read(10);
            assertThat(text(batch)).containsExactly("a");
            reopened.commit(batch);

            assertThat(reopened.read(10).lines()).isEmpty();
            assertThat(reopened.bytes()).isZero();
            assertThat(segmentFiles()).isEmpty();
        }
    }

    @Test
    void clearsItsFilesOnlyWhenEverythingWasSent() throws IOException {
        try (UsageSpool spool = new UsageSpool(directory, 1 << 20)) {
            spool.append(lines("a", "b"));
            assertThat(spool.clearIfDrained()).isFalse();

            spool.commit(spool.read(10));
            assertThat(spool.clearIfDrained()).isTrue();
            assertThat(segmentFiles()).isEmpty();

            spool.append(lines("c"));
            assertThat(text(spool.read(10))).containsExactly("c");
        }
    }

    @Test
    void readsALineLongerThanOneReadChunk() throws IOException {
        String longLine = "x".repeat(300_000);
        try (UsageSpool spool = new UsageSpool(directory, 1 << 20)) {
            spool.append(lines("a", longLine, "b"));

            spool.commit(spool.read(1));
            UsageSpool.Batch batch = spool.read(1);

            assertThat(text(batch)).containsExactly(longLine);
            spool.commit(batch);
            assertThat(text(spool.read(5))).containsExactly("b");
        }
    }

    private List<Path> segmentFiles() throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.sorted().toList();
        }
    }

    private static List<byte[]> lines(String... values) {
        List<byte[]> lines = new ArrayList<>();
        for (String value : values) {
            lines.add(value.getBytes(StandardCharsets.UTF_8));
        }
        return lines;
    }

    private static List<String> text(UsageSpool.Batch batch) {
        return batch.lines().stream().map(line -> new String(line, StandardCharsets.UTF_8)).toList();
    }
}
