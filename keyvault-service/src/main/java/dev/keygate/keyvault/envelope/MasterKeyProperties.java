package dev.keygate.keyvault.envelope;

import java.nio.file.Path;

import jakarta.validation.constraints.Min;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * Where the master keys are and which version seals new secrets.
 *
 * @param file a keyring file ({@code KEYGATE_MASTER_KEY_FILE})
 * @param inline keyring lines joined by commas ({@code KEYGATE_MASTER_KEYS}), used when no file is set
 * @param primaryVersion the version that seals new secrets; 0 means the highest present
 * @param minDecryptionVersion versions below this no longer decrypt (set after a rotation has re-wrapped everything)
 */
@Validated
@ConfigurationProperties("keygate.keyvault.master-keys")
record MasterKeyProperties(Path file, String inline, @Min(0) int primaryVersion, @Min(1) int minDecryptionVersion) {
}
