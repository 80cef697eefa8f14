package dev.keygate.keyvault.rotation;

import java.security.Principal;
import java.util.List;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Master key operations, for the operator identity only (see docs/keyvault.md for the rotation runbook). */
@RestController
@RequestMapping("/v1/keyring")
class KeyringController {

    private final Rotation rotation;

    KeyringController(Rotation rotation) {
        this.rotation = rotation;
    }

    @GetMapping
    KeyringStatus status() {
        return rotation.status();
    }

    @PostMapping("/reload")
    List<Integer> reload(Principal caller) {
        return rotation.reload(caller.getName());
    }

    @PutMapping("/primary")
    KeyringStatus promote(@RequestBody Version version, Principal caller) {
        rotation.promote(version.version(), caller.getName());
        return rotation.status();
    }

    @PostMapping("/rewrap")
    ResponseEntity<KeyringStatus> rewrap(Principal caller) {
        boolean started = rotation.startRewrap(caller.getName());
        return ResponseEntity.status(started ? HttpStatus.ACCEPTED : HttpStatus.CONFLICT).body(rotation.status());
    }

    @PutMapping("/min-decryption-version")
    KeyringStatus retire(@RequestBody Version version, Principal caller) {
        rotation.retireBelow(version.version(), caller.getName());
        return rotation.status();
    }

    record Version(int version) {
    }
}
