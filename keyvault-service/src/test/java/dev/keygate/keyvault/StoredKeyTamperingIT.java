package dev.keygate.keyvault;

import java.net.http.HttpResponse;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Someone with write access to keyvault's database still cannot make it serve the wrong key. */
class StoredKeyTamperingIT extends KeyvaultIntegrationTest {

    /** Damaged rows would (rightly) block a master key retirement in the rotation test sharing this database. */
    @AfterEach
    void removeDamagedRows() {
        jdbc.update("delete from stored_key where tenant_id = 'tampering'");
    }

    @Test
    void aCiphertextSwappedIntoAnotherOwnersRowFailsToDecrypt() throws Exception {
        String victim = "victim-" + randomToken(4);
        String attacker = "attacker-" + randomToken(4);
        UUID victimSecret = UUID.fromString(json(ADMIN, "PUT", "/v1/tenants/tampering/users/" + victim + "/keys/openai",
                keyBody("sk-victim-" + randomToken(20))).get("secretId").asString());
        UUID attackerSecret = UUID.fromString(json(ADMIN, "PUT", "/v1/tenants/tampering/users/" + attacker + "/keys/openai",
                keyBody("sk-attacker-" + randomToken(20))).get("secretId").asString());

        // Copy the victim's sealed key, nonce and wrapped data key into the attacker's row.
        jdbc.update("""
                update stored_key set (ciphertext, data_nonce, wrapped_data_key, wrap_nonce, master_key_version) =
                    (select ciphertext, data_nonce, wrapped_data_key, wrap_nonce, master_key_version
                     from stored_key where id = ?)
                where id = ?""", victimSecret, attackerSecret);

        HttpResponse<String> resolved = call(PROXY, "POST", "/v1/resolve", resolveBody("tampering", attacker, "openai"));

        assertThat(resolved.statusCode()).isEqualTo(503);
        assertThat(resolved.body()).contains("secret-unavailable").doesNotContain("sk-victim");
        assertThat(jdbc.queryForObject("select count(*) from audit_event where secret_id = ? and outcome = 'failed'",
                Long.class, attackerSecret)).isEqualTo(1);
    }

    @Test
    void aRowMovedToAnotherProviderFailsToDecrypt() throws Exception {
        String user = "mover-" + randomToken(4);
        UUID secret = UUID.fromString(json(ADMIN, "PUT", "/v1/tenants/tampering/users/" + user + "/keys/openai",
                keyBody("sk-moved-" + randomToken(20))).get("secretId").asString());

        jdbc.update("update stored_key set provider = 'anthropic' where id = ?", secret);

        assertThat(call(PROXY, "POST", "/v1/resolve", resolveBody("tampering", user, "anthropic")).statusCode())
                .isEqualTo(503);
    }

    @Test
    void aTamperedCiphertextFailsToDecrypt() throws Exception {
        String user = "tampered-" + randomToken(4);
        UUID secret = UUID.fromString(json(ADMIN, "PUT", "/v1/tenants/tampering/users/" + user + "/keys/openai",
                keyBody("sk-tampered-" + randomToken(20))).get("secretId").asString());

        jdbc.update("update stored_key set ciphertext = overlay(ciphertext placing "
                + "set_byte(substring(ciphertext from 1 for 1), 0, get_byte(ciphertext, 0) # 1) from 1 for 1) where id = ?",
                secret);

        assertThat(call(PROXY, "POST", "/v1/resolve", resolveBody("tampering", user, "openai")).statusCode())
                .isEqualTo(503);
    }
}
