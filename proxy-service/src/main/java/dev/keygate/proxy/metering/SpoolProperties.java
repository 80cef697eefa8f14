package dev.keygate.proxy.metering;

import java.nio.file.Path;
import java.time.Duration;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Where usage events wait while Kafka is unreachable, and how much of them the proxy may hold.
 *
 * @param directory where segment files live; must survive a restart of the proxy (not a tmpfs)
 * @param maxSize once this much waits on disk, the proxy refuses new calls with 503 until Kafka took some back;
 * calls already running still spool their event, so the directory may exceed it by a few events per running call
 * @param segmentSize a segment file is closed and a new one begun past this size; a segment is deleted once all of
 * its events were acknowledged by Kafka
 * @param fsyncInterval how often appended events are forced to disk; {@code 0s} forces after every write batch.
 * Every event is written to the file (the page cache) at once, so a crash of the proxy loses nothing; only an
 * operating-system crash or power loss can lose up to this interval
 * @param retryBackoff the pause after a failed drain attempt, doubling up to {@code maxRetryBackoff}
 * @param maxRetryBackoff the longest pause between two drain attempts while Kafka stays away
 * @param drainBatch how many spooled events are sent to Kafka before waiting for their acknowledgements
 * @param maxInFlight how many events may wait in memory for Kafka's acknowledgement of a direct send; past it (a
 * broker that stopped answering but has not failed a send yet) events go to the spool, which bounds memory and
 * what a crash of the proxy could lose
 */
@Validated
@ConfigurationProperties("keygate.proxy.metering.spool")
record SpoolProperties(@NotNull Path directory, @NotNull DataSize maxSize, @NotNull DataSize segmentSize,
                       @NotNull Duration fsyncInterval, @NotNull Duration retryBackoff,
                       @NotNull Duration maxRetryBackoff, @Min(1) int drainBatch,
                       @Min(1) int maxInFlight) {
}
