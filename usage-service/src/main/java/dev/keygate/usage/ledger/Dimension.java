package dev.keygate.usage.ledger;

import java.util.Locale;

/** What analytics can group usage by; each is a column of {@code usage_rollup_hourly} ('' where the event had none). */
public enum Dimension {
    USER("user_id"), KEY("proxy_key_id"), PROVIDER("provider"), MODEL("model"), REGION("region"), TIER("tier");

    final String column;

    Dimension(String column) {
        this.column = column;
    }

    /**
     * The name used in requests and answers: {@code user}, {@code key}, {@code provider}, {@code model},
     * {@code region}, {@code tier} (the caller's license tier).
     */
    public String parameterName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
