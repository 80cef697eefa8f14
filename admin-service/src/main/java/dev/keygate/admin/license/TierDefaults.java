package dev.keygate.admin.license;

import java.util.Arrays;
import java.util.List;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * A license tier's default limits (seed 001's tiers): what a new license of the tier gets unless its creator sets
 * other figures. {@code null} means unlimited.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TierDefaults(String tier, Integer requestsPerDay, Integer maxActivations) {

    public static List<TierDefaults> all() {
        return Arrays.stream(LicenseTier.values())
                .map(tier -> new TierDefaults(tier.id(), tier.dailyRequestLimit(), tier.maxActivations()))
                .toList();
    }

    /** Whether {@code tier} names a known tier, spelled as the API spells it ({@code free}, {@code pro}, ...). */
    public static boolean known(String tier) {
        return all().stream().anyMatch(defaults -> defaults.tier().equals(tier));
    }
}
