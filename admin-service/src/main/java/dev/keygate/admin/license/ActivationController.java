package dev.keygate.admin.license;

import java.time.Instant;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.keygate.admin.system.InvalidRequestException;
import com.fasterxml.jackson.annotation.JsonInclude;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.CacheControl;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * Activation v2, public like {@code /activate}: the device sends an ephemeral public key and receives its proxy key
 * sealed to it (see {@link SealedActivationCipher} and docs/activation.md).
 */
@RestController
class ActivationController {

    private static final Logger log = LoggerFactory.getLogger(ActivationController.class);

    private final Activations activations;

    ActivationController(Activations activations) {
        this.activations = activations;
    }

    @PostMapping("/api/v1/activations")
    ResponseEntity<Response> activate(@RequestBody(required = false) Request request) {
        if (request == null) {
            throw new InvalidRequestException("Send license_key, hardware_id and public_key.");
        }
        // The public key is checked before anything is issued: a bad one must not leave a key nobody can open.
        SealedActivationCipher.ClientKey clientKey = SealedActivationCipher.clientKey(request.publicKey());
        Activations.Activated activated = activations.activate(request.licenseKey(), request.hardwareId(),
                ActivationScheme.SEALED);
        SealedActivationCipher.Sealed sealed = SealedActivationCipher.seal(clientKey, request.hardwareId(),
                activated.key().key());
        log.info("License {} activated device {} ({}), proxy key {}", activated.licenseId(), activated.deviceId(),
                sealed.algorithm(), activated.key().id());
        return ResponseEntity.ok().cacheControl(CacheControl.noStore())
                .body(new Response(activated.deviceId(), activated.key().id(), sealed.algorithm(),
                        sealed.serverPublicKey(), sealed.nonce(), sealed.sealedKey(), activated.expiresAt()));
    }

    /** {@code public_key}: standard base64 of the DER SubjectPublicKeyInfo of an ephemeral X25519 or P-256 key. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Request(String licenseKey, String hardwareId, String publicKey) {

        @Override
        public String toString() {
            return "Request[licenseKey=***, hardwareId=***]";
        }
    }

    /** The sealed proxy key and what opens it; binary values are standard base64, {@code sealed_key} ends in the tag. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Response(UUID deviceId, UUID proxyKeyId, String algorithm, String serverPublicKey, String nonce,
                    String sealedKey, Instant expiresAt) {
    }
}
