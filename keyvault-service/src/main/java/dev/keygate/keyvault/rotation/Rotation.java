package dev.keygate.keyvault.rotation;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import dev.keygate.keyvault.audit.AuditTrail;
import dev.keygate.keyvault.envelope.Keyring;
import dev.keygate.keyvault.storedkey.SealedKeys;
import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * Master key rotation without downtime, in four steps an operator takes in order:
 * <ol>
 * <li>add the new version to the key source (key file, KMS) and {@link #reload()};</li>
 * <li>{@link #promote(int)} it: new secrets are sealed with it at once, old ones still open;</li>
 * <li>{@link #startRewrap()}: a background job re-wraps every data key under the new version, batch by batch,
 * never producing a plaintext;</li>
 * <li>{@link #retireBelow(int)}: once no secret is wrapped by an older version, those versions stop decrypting.</li>
 * </ol>
 */
@Service
class Rotation {

    private static final Logger log = LoggerFactory.getLogger(Rotation.class);
    private static final int BATCH = 100;

    private final Keyring keyring;
    private final SealedKeys sealedKeys;
    private final AuditTrail audit;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "keyring-rewrap");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong rewrapped = new AtomicLong();
    private final List<UUID> failed = new CopyOnWriteArrayList<>();
    private volatile Instant lastRunFinished;
    private volatile String lastError;

    Rotation(Keyring keyring, SealedKeys sealedKeys, AuditTrail audit) {
        this.keyring = keyring;
        this.sealedKeys = sealedKeys;
        this.audit = audit;
    }

    KeyringStatus status() {
        var current = keyring.current();
        return new KeyringStatus(current.primaryVersion(), current.minDecryptionVersion(), keyring.availableVersions(),
                sealedKeys.countByMasterKeyVersion(), new KeyringStatus.Rewrap(running.get(), rewrapped.get(),
                List.copyOf(failed), lastRunFinished, lastError));
    }

    List<Integer> reload(String caller) {
        List<Integer> versions = keyring.reload();
        audit.record("keyring-reload", "ok", caller, null, null, null, null, "versions " + versions);
        return versions;
    }

    void promote(int version, String caller) {
        keyring.promote(version);
        audit.record("keyring-promote", "ok", caller, null, null, null, null, "primary version " + version);
    }

    /** Starts the re-wrap job unless one is running; returns whether this call started it. */
    boolean startRewrap(String caller) {
        if (!running.compareAndSet(false, true)) {
            return false;
        }
        rewrapped.set(0);
        failed.clear();
        lastError = null;
        audit.record("keyring-rewrap", "started", caller, null, null, null, null,
                "to version " + keyring.current().primaryVersion());
        worker.execute(() -> {
            try {
                // PostgreSQL orders uuids as unsigned bytes: the all-zero uuid comes first.
                UUID after = new UUID(0, 0);
                int primary = keyring.current().primaryVersion();
                while (after != null) {
                    SealedKeys.RewrapBatch batch = sealedKeys.rewrapBatch(primary, after, BATCH);
                    rewrapped.addAndGet(batch.rewrapped());
                    failed.addAll(batch.failed());
                    after = batch.last();
                }
                audit.recordIndependently("keyring-rewrap", failed.isEmpty() ? "finished" : "incomplete", caller, null,
                        null, null, null, rewrapped.get() + " secrets re-wrapped to version " + primary
                                + (failed.isEmpty() ? "" : ", " + failed.size() + " could not be opened: " + failed));
                if (!failed.isEmpty()) {
                    log.error("{} stored keys could not be re-wrapped because they do not authenticate "
                            + "(damaged or tampered rows): {}", failed.size(), failed);
                }
            }
            catch (RuntimeException ex) {
                lastError = ex.getMessage();
                log.error("Re-wrapping data keys stopped after {} secrets", rewrapped.get(), ex);
                audit.recordIndependently("keyring-rewrap", "failed", caller, null, null, null, null, ex.getMessage());
            }
            finally {
                lastRunFinished = Instant.now();
                running.set(false);
            }
        });
        return true;
    }

    /** Retires every version below {@code minVersion}, refused while any secret is still wrapped by one. */
    void retireBelow(int minVersion, String caller) {
        Map<Integer, Long> counts = sealedKeys.countByMasterKeyVersion();
        long stillWrapped = counts.entrySet().stream().filter(entry -> entry.getKey() < minVersion)
                .mapToLong(Map.Entry::getValue).sum();
        if (stillWrapped > 0) {
            throw new RotationIncompleteException(stillWrapped + " secrets are still wrapped by master key versions "
                    + "below " + minVersion + "; run the re-wrap and retire once it finished");
        }
        keyring.retireBelow(minVersion);
        audit.record("keyring-retire", "ok", caller, null, null, null, null, "versions below " + minVersion);
    }

    @PreDestroy
    void stop() {
        worker.shutdownNow();
    }
}
