package dev.keygate.keyvault.envelope;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.UUID;

/**
 * What a ciphertext is bound to: tenant, owner, provider, secret id and purpose. AES-GCM authenticates it, so a
 * row copied to another owner, provider or secret id fails to decrypt instead of serving the wrong key.
 */
public record AssociatedData(String tenantId, String ownerType, String ownerId, String provider, UUID secretId,
                             String purpose) {

    public AssociatedData {
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(ownerType, "ownerType");
        Objects.requireNonNull(ownerId, "ownerId");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(secretId, "secretId");
        Objects.requireNonNull(purpose, "purpose");
    }

    /** An unambiguous encoding: every field length-prefixed, so no two contexts encode alike. */
    byte[] encode(String domain) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String field : new String[] {"keygate", domain, tenantId, ownerType, ownerId, provider,
                secretId.toString(), purpose}) {
            byte[] bytes = field.getBytes(StandardCharsets.UTF_8);
            out.writeBytes(ByteBuffer.allocate(4).putInt(bytes.length).array());
            out.writeBytes(bytes);
        }
        return out.toByteArray();
    }
}
