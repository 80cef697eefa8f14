package dev.keygate.usage.ledger;

/** The time bucket of analytics rows: UTC hours, UTC days, or the whole period in one row. */
public enum TimeBucket {
    HOUR("hour"), DAY("date_trunc('day', hour, 'UTC')"), NONE(null);

    final String expression;

    TimeBucket(String expression) {
        this.expression = expression;
    }
}
