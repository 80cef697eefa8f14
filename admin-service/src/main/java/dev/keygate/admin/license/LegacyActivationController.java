package dev.keygate.admin.license;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.CacheControl;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * Seed 001's {@code POST /activate}, public (the caller has only its license key): binds the device and answers
 * {@code {"success": true, "encrypted_api_key": …, "iv": …}} for the seed's clients to decrypt unchanged. Kept for
 * those clients; new clients use {@code POST /api/v1/activations}.
 */
@RestController
class LegacyActivationController {

    private static final Logger log = LoggerFactory.getLogger(LegacyActivationController.class);

    private final Activations activations;

    LegacyActivationController(Activations activations) {
        this.activations = activations;
    }

    @PostMapping("/activate")
    ResponseEntity<Response> activate(@RequestBody(required = false) Request request,
                                      @RequestHeader(name = "User-Agent", required = false) String userAgent,
                                      @RequestHeader(name = "Sec-Fetch-Mode", required = false) String fetchMode) {
        String licenseKey = request == null ? null : request.licenseKey();
        String hardwareId = request == null ? null : request.hardwareId();
        Activations.Activated activated = activations.activate(licenseKey, hardwareId, ActivationScheme.LEGACY);
        LegacyActivationCipher.Padding padding = LegacyClients.padding(userAgent, fetchMode);
        LegacyActivationCipher.Sealed sealed = LegacyActivationCipher.seal(licenseKey, activated.key().key(), padding);
        log.info("License {} activated device {} (legacy, {} padding), proxy key {}", activated.licenseId(),
                activated.deviceId(), padding, activated.key().id());
        return ResponseEntity.ok().cacheControl(CacheControl.noStore())
                .body(new Response(true, sealed.encryptedApiKey(), sealed.iv()));
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Request(String licenseKey, String hardwareId) {

        @Override
        public String toString() {
            return "Request[licenseKey=***, hardwareId=***]";
        }
    }

    /** Exactly the seed's success shape. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonPropertyOrder({"success", "encrypted_api_key", "iv"})
    record Response(boolean success, String encryptedApiKey, String iv) {
    }
}
