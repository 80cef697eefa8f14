package dev.keygate.testkit;

import java.util.List;
import java.util.Random;

/**
 * JSON-ish text from a seeded {@link Random}, for fuzzing request bodies: valid values of every type, values of the
 * wrong type under the field names an endpoint expects, and the malformed (truncated, deeply nested, lone
 * surrogates, numbers out of range, duplicate keys). The same seed gives the same texts, so a failure replays.
 */
public final class JsonFuzz {

    private final Random random;

    public JsonFuzz(Random random) {
        this.random = random;
    }

    /** Any JSON-ish value, valid or not; {@code depth} bounds the nesting of the valid ones. */
    public String value(int depth) {
        int pick = random.nextInt(depth > 3 ? 7 : 13);
        return switch (pick) {
            case 0 -> "null";
            case 1 -> Long.toString(random.nextLong());
            case 2 -> random.nextBoolean() ? "1e999999" : "-0.0e-0";
            case 3 -> "\"" + text(random.nextInt(40)) + "\"";
            case 4 -> "\"\\ud800\\u0000\"";
            case 5 -> random.nextBoolean() ? "true" : "tru";
            case 6 -> "\"" + "x".repeat(random.nextInt(5) == 0 ? 100_000 : 300) + "\"";
            case 7 -> "[".repeat(1 + random.nextInt(3_000));
            case 8 -> "[" + value(depth + 1) + "," + value(depth + 1) + "]";
            case 9 -> "{\"" + text(6) + "\":" + value(depth + 1) + "}";
            case 10 -> "{\"a\":1,\"a\":" + value(depth + 1) + "}";
            case 11 -> "\"2026-13-45T25:61:61Z\"";
            default -> "{" + value(depth + 1);
        };
    }

    /**
     * An object with some of {@code fields} (the names the endpoint reads) set to random values, sometimes plausible
     * ones, sometimes cut short.
     */
    public String object(List<String> fields) {
        StringBuilder out = new StringBuilder("{");
        for (String field : fields) {
            if (random.nextInt(3) == 0) {
                continue;
            }
            if (out.length() > 1) {
                out.append(',');
            }
            out.append('"').append(field).append("\":").append(random.nextInt(4) == 0
                    ? "\"" + text(1 + random.nextInt(12)) + "\"" : value(1));
        }
        if (random.nextInt(10) == 0) {
            return out.toString();
        }
        return out.append('}').toString();
    }

    /** Printable ASCII without quotes or backslashes, so that it stays inside a JSON string. */
    public String text(int length) {
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            char c = (char) (0x20 + random.nextInt(0x5F));
            out.append(c == '"' || c == '\\' ? '_' : c);
        }
        return out.toString();
    }
}
