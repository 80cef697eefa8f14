package dev.keygate.admin.proxykey;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import dev.keygate.admin.system.InvalidRequestException;
import dev.keygate.contracts.admin.v1.ProxyKeyLimits;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProxyKeyScopeTest {

    @Test
    void anEmptyRequestMeansEveryProviderAndModelWithoutLimitsOfItsOwn() {
        ProxyKeyScope scope = ProxyKeys.scope(null, null, null, null, null);

        assertThat(scope).isEqualTo(ProxyKeyScope.UNLIMITED);
    }

    @Test
    void modelsAreTakenAsTheProviderSpellsThemAndDuplicatesCollapse() {
        ProxyKeyScope scope = ProxyKeys.scope(List.of("openai", "openai"),
                List.of("gpt-4o-mini", "ft:gpt-4o-mini:acme::abc123", "models/gemini-1.5-flash", "gpt-4o-mini"),
                60, 1000, new BigDecimal("9.99"));

        assertThat(scope.providers()).containsExactly("openai");
        assertThat(scope.models()).containsExactly("gpt-4o-mini", "ft:gpt-4o-mini:acme::abc123",
                "models/gemini-1.5-flash");
        assertThat(scope.limits()).isEqualTo(new ProxyKeyLimits(60, 1000, new BigDecimal("9.99")));
    }

    @Test
    void refusalsNameTheFieldAndTheFix() {
        assertThatThrownBy(() -> ProxyKeys.scope(null, List.of("gpt 4o"), null, null, null))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("Models are ids");
        assertThatThrownBy(() -> ProxyKeys.scope(null, Arrays.asList((String) null), null, null, null))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> ProxyKeys.scope(List.of("Open AI"), null, null, null, null))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("Providers are ids");
        assertThatThrownBy(() -> ProxyKeys.scope(null, null, 0, null, null))
                .hasMessageContaining("requests_per_minute must be between 1 and 1000000");
        assertThatThrownBy(() -> ProxyKeys.scope(null, null, null, -5, null))
                .hasMessageContaining("requests_per_day");
        assertThatThrownBy(() -> ProxyKeys.scope(null, null, null, null, new BigDecimal("-1")))
                .hasMessageContaining("monthly_budget_usd");
        assertThatThrownBy(() -> ProxyKeys.scope(null, null, null, null, new BigDecimal("0.00001")))
                .hasMessageContaining("at most 4 decimals");
        assertThatThrownBy(() -> ProxyKeys.scope(null, Collections.nCopies(101, "m"), null, null, null))
                .hasMessageContaining("at most 100 models");
    }
}
