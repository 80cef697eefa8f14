package dev.keygate.keyvault.storedkey;

import java.util.regex.Pattern;

import dev.keygate.contracts.keyvault.v1.OwnerType;

/** Whose key it is: a user of a tenant, or the tenant (organisation) itself. */
record Owner(String tenantId, OwnerType type, String id) {

    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern OWNER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@:-]{0,254}");

    Owner {
        if (tenantId == null || !TENANT.matcher(tenantId).matches()) {
            throw new IllegalArgumentException("tenant id must be 1-64 letters, digits, '.', '_' or '-'");
        }
        if (id == null || !OWNER_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("owner id must be 1-255 letters, digits or '.', '_', '@', ':', '-'");
        }
    }

    static Owner user(String tenantId, String userId) {
        return new Owner(tenantId, OwnerType.USER, userId);
    }

    static Owner organisation(String tenantId) {
        return new Owner(tenantId, OwnerType.ORGANISATION, tenantId);
    }
}
