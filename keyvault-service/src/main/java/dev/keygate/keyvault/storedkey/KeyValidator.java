package dev.keygate.keyvault.storedkey;

import java.util.Optional;

import dev.keygate.keyvault.envelope.PlainKey;

/**
 * Asks a provider whether it accepts a key, with the cheapest call it offers. Implemented outside this package
 * (see {@code health}) so storing keys never depends on reaching a provider.
 */
public interface KeyValidator {

    /** The provider's verdict, or empty when it cannot be asked (no check configured, provider unreachable). */
    Optional<Verdict> validate(String provider, PlainKey key);

    /** @param reason why, in words a user can act on; never contains the key */
    record Verdict(boolean accepted, String reason) {
    }
}
