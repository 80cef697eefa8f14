package dev.keygate.keyvault.storedkey;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import dev.keygate.keyvault.envelope.EnvelopeCipher;
import dev.keygate.keyvault.envelope.SecretUnavailableException;
import org.springframework.data.domain.Limit;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * What master key rotation needs of the stored keys: how many each master key version wraps, and re-wrapping data
 * keys under the primary version in small batches, each key in its own short transaction under a row lock, so
 * decrypts and stores carry on while it runs. The plaintext of a key is never produced.
 */
@Component
public class SealedKeys {

    private final StoredKeyRepository repository;
    private final EnvelopeCipher cipher;
    private final TransactionTemplate transaction;

    SealedKeys(StoredKeyRepository repository, EnvelopeCipher cipher, TransactionTemplate transaction) {
        this.repository = repository;
        this.cipher = cipher;
        this.transaction = transaction;
    }

    /** Secrets per master key version, ascending. */
    public Map<Integer, Long> countByMasterKeyVersion() {
        Map<Integer, Long> counts = new TreeMap<>();
        for (Object[] row : repository.countByMasterKeyVersion()) {
            counts.put(((Number) row[0]).intValue(), ((Number) row[1]).longValue());
        }
        return counts;
    }

    /**
     * Re-wraps up to {@code batchSize} secrets, in id order after {@code after}, that are not yet wrapped by
     * {@code primaryVersion}. A secret whose data key does not authenticate (a damaged or tampered row) is skipped
     * and counted; it keeps its old wrapping, so retiring that version stays refused until it is dealt with.
     */
    public RewrapBatch rewrapBatch(int primaryVersion, UUID after, int batchSize) {
        List<UUID> ids = repository.wrappedByOtherThan(primaryVersion, after, Limit.of(batchSize));
        int done = 0;
        List<UUID> failed = new ArrayList<>();
        for (UUID id : ids) {
            try {
                Boolean rewrapped = transaction.execute(status -> repository.lockById(id)
                        .filter(key -> key.masterKeyVersion() != primaryVersion)
                        .map(key -> {
                            key.rewrapped(cipher.rewrap(key.sealed(), key.associatedData()));
                            return key.masterKeyVersion() == primaryVersion;
                        })
                        .orElse(false));
                if (Boolean.TRUE.equals(rewrapped)) {
                    done++;
                }
            }
            catch (SecretUnavailableException ex) {
                failed.add(id);
            }
        }
        return new RewrapBatch(done, failed, ids.isEmpty() ? null : ids.get(ids.size() - 1));
    }

    /** @param last the last id looked at, to continue after; {@code null} when nothing was left */
    public record RewrapBatch(int rewrapped, List<UUID> failed, UUID last) {
    }
}
