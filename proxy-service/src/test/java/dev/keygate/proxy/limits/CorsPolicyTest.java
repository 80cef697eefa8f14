package dev.keygate.proxy.limits;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CorsPolicyTest {

    private final CorsPolicy cors = new CorsPolicy(new LimitsProperties.Cors(Map.of(
            "acme", List.of("https://app.acme.example/", "*", "null"),
            "globex", List.of("https://globex.example")), Duration.ofMinutes(10)));

    @Test
    void allowsATenantsOwnOriginsOnly() {
        assertThat(cors.allows("acme", "https://app.acme.example")).isTrue();
        assertThat(cors.allows("acme", "https://globex.example")).isFalse();
        assertThat(cors.allows("initech", "https://app.acme.example")).isFalse();
    }

    @Test
    void answersPreflightsForAnOriginSomeTenantAllows() {
        assertThat(cors.allowsAnyTenant("https://globex.example")).isTrue();
        assertThat(cors.allowsAnyTenant("https://evil.example")).isFalse();
    }

    @Test
    void neverHonoursAWildcardOrTheNullOrigin() {
        assertThat(cors.allows("acme", "*")).isFalse();
        assertThat(cors.allows("acme", "null")).isFalse();
        assertThat(cors.allowsAnyTenant("https://anything.example")).isFalse();
    }
}
