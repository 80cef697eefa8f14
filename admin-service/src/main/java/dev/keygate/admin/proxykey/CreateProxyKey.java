package dev.keygate.admin.proxykey;

import java.time.Instant;
import java.util.List;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The body of {@code POST /api/v1/proxy-keys}; every field is optional.
 *
 * @param providers providers the key may call; empty or absent means all
 * @param expiresAt when the key stops working; absent means never
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record CreateProxyKey(String name, List<String> providers, Instant expiresAt) {
}
