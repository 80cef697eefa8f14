package dev.keygate.contracts.admin.v1;

import java.time.Instant;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * A change to a proxy key ({@code px_…}), relayed from admin-service's outbox. The last event per key id is
 * the key's current state, so a proxy rebuilds its whole view by reading the compacted topic from the start.
 * The wire {@code type} names the fact; unknown types fail to parse and go to the dead-letter topic.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = ProxyKeyIssued.class, name = ProxyKeyIssued.TYPE),
        @JsonSubTypes.Type(value = ProxyKeyRevoked.class, name = ProxyKeyRevoked.TYPE)
})
@JsonIgnoreProperties(ignoreUnknown = true)
public sealed interface ProxyKeyEvent permits ProxyKeyIssued, ProxyKeyRevoked {

    int VERSION = 1;

    UUID eventId();

    int version();

    Instant occurredAt();

    UUID keyId();

    String tenantId();

    /** Lower-case hex SHA-256 of the full {@code px_…} key: the proxy looks callers up by it. */
    String keyHash();
}
