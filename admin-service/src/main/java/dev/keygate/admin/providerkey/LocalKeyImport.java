package dev.keygate.admin.providerkey;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

import dev.keygate.admin.system.UpstreamUnavailableException;
import dev.keygate.contracts.admin.v1.ProviderKeyChanged;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Local development as seed 004 does it: provider keys found in the environment ({@code OPENAI_API_KEY}, …) become
 * organisation keys of one tenant at start-up, so a developer's existing {@code .env} works through Keygate at once.
 * Only active when {@code KEYGATE_LOCAL_IMPORT_TENANT} is set; never in production.
 */
@Component
@ConditionalOnExpression("'${keygate.local-import.tenant:}' != ''")
class LocalKeyImport {

    /** Environment variable → provider id. */
    static final Map<String, String> VARIABLES = Map.of(
            "OPENAI_API_KEY", "openai",
            "ANTHROPIC_API_KEY", "anthropic",
            "GEMINI_API_KEY", "gemini",
            "XAI_API_KEY", "xai",
            "BRAVE_API_KEY", "brave",
            "E2B_API_KEY", "e2b");

    private static final Logger log = LoggerFactory.getLogger(LocalKeyImport.class);
    private static final int ATTEMPTS = 30;

    private final KeyvaultClient keyvault;
    private final ProviderKeyAnnouncements announcements;
    private final String tenant;

    LocalKeyImport(KeyvaultClient keyvault, ProviderKeyAnnouncements announcements,
                   @Value("${keygate.local-import.tenant}") String tenant) {
        this.keyvault = keyvault;
        this.announcements = announcements;
        this.tenant = tenant;
    }

    @EventListener(ApplicationReadyEvent.class)
    void importFromEnvironment() {
        Thread importer = new Thread(() -> importFrom(System::getenv), "local-key-import");
        importer.setDaemon(true);
        importer.start();
    }

    /** Stores every key found in {@code environment} as an organisation key and announces each; blocks. */
    void importFrom(Function<String, String> environment) {
        found(environment).forEach(this::store);
    }

    /** The keys present in {@code environment}, by provider; blank values are ignored. */
    static Map<String, String> found(Function<String, String> environment) {
        Map<String, String> keys = new LinkedHashMap<>();
        VARIABLES.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(entry -> {
            String value = environment.apply(entry.getKey());
            if (value != null && !value.isBlank()) {
                keys.put(entry.getValue(), value.strip());
            }
        });
        return keys;
    }

    private void store(String provider, String key) {
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                var stored = keyvault.storeOrganisationKey(tenant, provider, key, "imported from the environment");
                log.info("Imported the {} key from the environment (…{}) as an organisation key of tenant {}", provider,
                        stored.hint(), tenant);
                // A restarted admin-service may import a changed .env while proxies still hold the old key.
                announcements.organisationKey(tenant, provider, ProviderKeyChanged.STORED);
                return;
            }
            catch (UpstreamUnavailableException ex) {
                sleep(Duration.ofSeconds(2));
            }
        }
        log.warn("Could not import the {} key from the environment: keyvault did not answer", provider);
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
