package dev.keygate.keyvault.envelope;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import javax.crypto.SecretKey;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.transaction.annotation.Transactional;

/**
 * The live keyring: key material from the {@link MasterKeySource}, and which version is primary and which is the
 * lowest that still decrypts from the shared {@code keyring_state} row. Every instance re-reads that row each second,
 * so a promotion or retirement made through one instance reaches all of them within about a second.
 */
public class Keyring {

    private static final Logger log = LoggerFactory.getLogger(Keyring.class);

    private final MasterKeySource source;
    private final JdbcTemplate jdbc;
    private volatile Map<Integer, SecretKey> keys;
    private volatile MasterKeyring current;

    Keyring(MasterKeySource source, JdbcTemplate jdbc, int initialPrimary, int initialMinDecryption) {
        this.source = source;
        this.jdbc = jdbc;
        this.keys = load(source);
        int primary = initialPrimary == 0 ? Collections.max(keys.keySet()) : initialPrimary;
        // The first instance to start records the configured state; later changes go through promote/retire.
        jdbc.update("insert into keyring_state (id, primary_version, min_decryption_version, updated_at) "
                + "values (1, ?, ?, ?) on conflict (id) do nothing", primary, initialMinDecryption,
                Timestamp.from(Instant.now()));
        refresh(false);
    }

    /** The keyring as of now: seal with its primary, open any version it still holds. */
    public MasterKeyring current() {
        return current;
    }

    /** Re-reads the shared state; a version the state names but this instance lacks is reported, not guessed. */
    @Scheduled(fixedDelay = 1000, initialDelay = 1000)
    public void refresh() {
        refresh(false);
    }

    /** @param keysChanged rebuild even if the shared state did not change, because the key material did */
    private synchronized void refresh(boolean keysChanged) {
        Map<String, Object> state = jdbc.queryForMap(
                "select primary_version, min_decryption_version from keyring_state where id = 1");
        int primary = ((Number) state.get("primary_version")).intValue();
        int minDecryption = ((Number) state.get("min_decryption_version")).intValue();
        MasterKeyring previous = current;
        if (!keysChanged && previous != null && previous.primaryVersion() == primary
                && previous.minDecryptionVersion() == minDecryption) {
            return;
        }
        if (!keys.containsKey(primary)) {
            log.error("The keyring state names primary master key version {}, which this instance's key source does "
                    + "not hold (it has {}); keeping version {} until the source is reloaded", primary, keys.keySet(),
                    previous == null ? "none" : previous.primaryVersion());
            if (previous == null) {
                throw new IllegalStateException("master key version " + primary + " is primary but missing from "
                        + "the key source, which holds versions " + keys.keySet());
            }
            return;
        }
        current = new MasterKeyring(keys, primary, minDecryption);
        log.info("Keyring now seals with master key version {} and decrypts versions >= {}", primary, minDecryption);
    }

    /** Reads the key source again, e.g. after a new version was added to the key file or the KMS. */
    public synchronized List<Integer> reload() {
        // The ring in use stays in place until its replacement is complete: no request ever sees a half-built one.
        keys = load(source);
        refresh(true);
        return List.copyOf(keys.keySet());
    }

    /** Makes {@code version} the primary for every instance. It must be present in the key source. */
    @Transactional
    public synchronized void promote(int version) {
        if (!keys.containsKey(version)) {
            throw new IllegalArgumentException("master key version " + version + " is not in the key source (it holds "
                    + keys.keySet() + "); add it there and reload first");
        }
        if (version < current.minDecryptionVersion()) {
            throw new IllegalArgumentException("master key version " + version + " is retired");
        }
        jdbc.update("update keyring_state set primary_version = ?, updated_at = ? where id = 1", version,
                Timestamp.from(Instant.now()));
        refresh();
    }

    /** Stops every version below {@code minVersion} from decrypting. The caller checks nothing still needs them. */
    @Transactional
    public synchronized void retireBelow(int minVersion) {
        if (minVersion > current.primaryVersion()) {
            throw new IllegalArgumentException("cannot retire the primary version " + current.primaryVersion());
        }
        if (minVersion < current.minDecryptionVersion()) {
            throw new IllegalArgumentException("versions below " + current.minDecryptionVersion()
                    + " are already retired; a retired version is never brought back");
        }
        jdbc.update("update keyring_state set min_decryption_version = ?, updated_at = ? where id = 1", minVersion,
                Timestamp.from(Instant.now()));
        refresh();
    }

    public List<Integer> availableVersions() {
        return List.copyOf(new java.util.TreeSet<>(keys.keySet()));
    }

    private static Map<Integer, SecretKey> load(MasterKeySource source) {
        Map<Integer, SecretKey> loaded = source.load();
        if (loaded.isEmpty()) {
            throw new IllegalStateException("the master key source holds no key");
        }
        return Map.copyOf(loaded);
    }
}
