package dev.keygate.contracts.keyvault.v1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Which keys may serve a tenant's users. The resolver tries the user's own key first, then the organisation's,
 * skipping whichever the tenant forbids. Both allowed is the default.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TenantKeyPolicy(boolean allowUserKeys, boolean allowOrganisationKeys) {

    public static final TenantKeyPolicy DEFAULT = new TenantKeyPolicy(true, true);
}
