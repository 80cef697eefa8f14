package dev.keygate.keyvault.rotation;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The keyring as an operator sees it.
 *
 * @param secretsByVersion how many stored secrets each master key version still wraps
 */
record KeyringStatus(int primaryVersion, int minDecryptionVersion, List<Integer> availableVersions,
                     Map<Integer, Long> secretsByVersion, Rewrap rewrap) {

    /** @param failed secrets that could not be opened to re-wrap (damaged rows); they block retirement */
    record Rewrap(boolean running, long rewrapped, List<java.util.UUID> failed, Instant lastFinished, String lastError) {
    }
}
