package dev.keygate.admin.license;

import java.time.Instant;
import java.util.List;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The body of {@code POST /api/v1/licenses}. Only {@code tier} is required; absent limits take the tier's defaults.
 *
 * @param name a label for the admin, e.g. the customer
 * @param tier {@code free}, {@code pro} or {@code enterprise}
 * @param maxActivations how many devices may hold a key at once
 * @param dailyRequestLimit requests per day across the license's devices (carried on every device key; the proxy counts it over all of them)
 * @param providers providers the devices' keys may call; empty or absent means all
 * @param expiresAt when the license and its devices' keys stop working; absent means never
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record CreateLicense(String name, String tier, Integer maxActivations, Integer dailyRequestLimit,
                     List<String> providers, Instant expiresAt) {
}
