package dev.keygate.admin.license;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What a license entitles a customer to, with the defaults a new license of the tier gets. {@code pro}'s 1000
 * requests a day is seed 001's example limit; the free and enterprise figures follow the seed's project
 * (licensify's free, professional and enterprise tiers). A {@code null} limit means unlimited.
 */
enum LicenseTier {

    FREE("free", 20, 2),
    PRO("pro", 1000, 3),
    ENTERPRISE("enterprise", null, null);

    private final String id;
    private final Integer dailyRequestLimit;
    private final Integer maxActivations;

    LicenseTier(String id, Integer dailyRequestLimit, Integer maxActivations) {
        this.id = id;
        this.dailyRequestLimit = dailyRequestLimit;
        this.maxActivations = maxActivations;
    }

    String id() {
        return id;
    }

    Integer dailyRequestLimit() {
        return dailyRequestLimit;
    }

    Integer maxActivations() {
        return maxActivations;
    }

    static Optional<LicenseTier> of(String id) {
        if (id == null) {
            return Optional.empty();
        }
        String wanted = id.strip().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(tier -> tier.id.equals(wanted)).findFirst();
    }

    static String ids() {
        return Arrays.stream(values()).map(tier -> "'" + tier.id + "'").collect(Collectors.joining(", "));
    }
}
