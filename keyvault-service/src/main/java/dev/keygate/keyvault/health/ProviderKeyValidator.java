package dev.keygate.keyvault.health;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;

import dev.keygate.keyvault.envelope.PlainKey;
import dev.keygate.keyvault.storedkey.KeyValidator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Checks a key with one cheap authenticated call to its provider: 2xx means accepted, 401 or 403 rejected, anything
 * else (or no answer) means the provider could not be asked and the key's status is left as it was.
 */
@Component
class ProviderKeyValidator implements KeyValidator {

    private static final Logger log = LoggerFactory.getLogger(ProviderKeyValidator.class);

    private final HealthCheckProperties properties;
    private final HttpClient http;

    ProviderKeyValidator(HealthCheckProperties properties) {
        this.properties = properties;
        this.http = HttpClient.newBuilder().connectTimeout(properties.timeout()).build();
    }

    @Override
    public Optional<Verdict> validate(String provider, PlainKey key) {
        HealthCheckProperties.Check check = properties.providers().get(provider);
        if (check == null) {
            return Optional.empty();
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(check.url()).timeout(properties.timeout()).GET();
        switch (check.auth()) {
            case "x-api-key" -> request.header("x-api-key", key.reveal()).header("anthropic-version", "2023-06-01");
            case "x-goog-api-key" -> request.header("x-goog-api-key", key.reveal());
            default -> request.header("Authorization", "Bearer " + key.reveal());
        }
        try {
            int status = http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status >= 200 && status < 300) {
                return Optional.of(new Verdict(true, "accepted by " + provider));
            }
            if (status == 401 || status == 403) {
                return Optional.of(new Verdict(false, provider + " answered " + status + " to the key"));
            }
            log.warn("Key check against {} answered {}; status left unchanged", provider, status);
            return Optional.empty();
        }
        catch (IOException ex) {
            log.warn("Key check against {} failed: {}", provider, ex.getClass().getSimpleName());
            return Optional.empty();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
