package dev.keygate.keyvault.envelope;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.util.StringUtils;

@Configuration(proxyBeanMethods = false)
@EnableScheduling
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
    Keyring keyring(MasterKeySource source, JdbcTemplate jdbc, MasterKeyProperties properties) {
        return new Keyring(source, jdbc, properties.primaryVersion(), properties.minDecryptionVersion());
    }

    @Bean
    EnvelopeCipher envelopeCipher(Keyring keyring) {
        return new EnvelopeCipher(keyring::current);
    }
}
