package dev.keygate.admin.outbox;

import java.time.Duration;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * The Debezium relay of the outbox.
 *
 * @param enabled off only where another instance relays (one replication slot has one reader)
 * @param slotName the PostgreSQL logical replication slot (and publication) name
 * @param pollInterval how often Debezium hands over a batch; bounds the relay's added latency
 * @param offsetTopic the compacted Kafka topic where the relay keeps its position in the log
 */
@Validated
@ConfigurationProperties("keygate.outbox")
record OutboxProperties(boolean enabled, @NotBlank String slotName, @NotNull Duration pollInterval,
                        @NotBlank String offsetTopic) {
}
