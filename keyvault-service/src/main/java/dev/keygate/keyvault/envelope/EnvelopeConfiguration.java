package dev.keygate.keyvault.envelope;

import java.util.Collections;
import java.util.Map;

import javax.crypto.SecretKey;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.StringUtils;

@Configuration(proxyBeanMethods = false)
class EnvelopeConfiguration {

    @Bean
    @ConditionalOnMissingBean
    MasterKeySource masterKeySource(MasterKeyProperties properties) {
        if (properties.file() != null && !properties.file().toString().isBlank()) {
            return KeyringFileSource.file(properties.file());
        }
        if (StringUtils.hasText(properties.inline())) {
            return KeyringFileSource.inline(properties.inline());
        }
        throw new IllegalStateException("keyvault has no master key: set KEYGATE_MASTER_KEY_FILE to a keyring file "
                + "(lines '<version>=<base64 of 32 random bytes>') or KEYGATE_MASTER_KEYS, or provide a MasterKeySource bean");
    }

    @Bean
    MasterKeyring masterKeyring(MasterKeySource source, MasterKeyProperties properties) {
        Map<Integer, SecretKey> keys = source.load();
        int primary = properties.primaryVersion() == 0 && !keys.isEmpty() ? Collections.max(keys.keySet())
                : properties.primaryVersion();
        return new MasterKeyring(keys, primary, properties.minDecryptionVersion());
    }

    @Bean
    EnvelopeCipher envelopeCipher(MasterKeyring keyring) {
        return new EnvelopeCipher(keyring);
    }
}
