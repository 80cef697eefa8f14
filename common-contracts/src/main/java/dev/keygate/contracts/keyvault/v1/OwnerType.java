package dev.keygate.contracts.keyvault.v1;

import com.fasterxml.jackson.annotation.JsonValue;

/** Who a stored provider key belongs to: one user (bring your own key) or a whole organisation (tenant). */
public enum OwnerType {
    USER("user"), ORGANISATION("organisation");

    private final String wireName;

    OwnerType(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }
}
