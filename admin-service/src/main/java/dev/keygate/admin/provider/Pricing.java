package dev.keygate.admin.provider;

import java.math.BigDecimal;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * A model's price in US dollars per million tokens. The predefined prices are examples an operator edits in
 * models.yaml; {@code null} parts are unknown. {@code currency} is always {@code USD}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record Pricing(String currency, BigDecimal inputPerMillion, BigDecimal outputPerMillion,
               BigDecimal cacheReadPerMillion, BigDecimal cacheWritePerMillion) {

    static final String USD = "USD";
    private static final BigDecimal MAX = new BigDecimal("100000");

    Pricing {
        if (currency != null && !USD.equals(currency)) {
            throw new IllegalArgumentException("prices are in USD");
        }
        currency = USD;
        inputPerMillion = plain(inputPerMillion);
        outputPerMillion = plain(outputPerMillion);
        cacheReadPerMillion = plain(cacheReadPerMillion);
        cacheWritePerMillion = plain(cacheWritePerMillion);
    }

    Pricing(BigDecimal input, BigDecimal output, BigDecimal cacheRead, BigDecimal cacheWrite) {
        this(USD, input, output, cacheRead, cacheWrite);
    }

    /** The first part that is negative or absurdly high, or {@code null} if every part is a plausible price. */
    String invalidPart() {
        if (!plausible(inputPerMillion)) {
            return "input_per_million";
        }
        if (!plausible(outputPerMillion)) {
            return "output_per_million";
        }
        if (!plausible(cacheReadPerMillion)) {
            return "cache_read_per_million";
        }
        return plausible(cacheWritePerMillion) ? null : "cache_write_per_million";
    }

    private static boolean plausible(BigDecimal price) {
        return price == null || (price.signum() >= 0 && price.compareTo(MAX) <= 0 && price.scale() <= 6);
    }

    // 2.500000 from the database reads back as 2.5, and 10 stays 10 rather than 1E+1.
    private static BigDecimal plain(BigDecimal price) {
        return price == null ? null : new BigDecimal(price.stripTrailingZeros().toPlainString());
    }
}
