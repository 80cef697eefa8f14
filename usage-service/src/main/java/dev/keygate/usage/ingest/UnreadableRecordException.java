package dev.keygate.usage.ingest;

/**
 * A Kafka record that is not a valid {@code usage.recorded} v1 event. Reading it again cannot succeed, so it is
 * dead-lettered; no other failure is.
 */
class UnreadableRecordException extends RuntimeException {

    UnreadableRecordException(String message) {
        super(message);
    }

    UnreadableRecordException(String message, Throwable cause) {
        super(message, cause);
    }
}
