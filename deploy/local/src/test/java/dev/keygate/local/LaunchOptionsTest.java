package dev.keygate.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

class LaunchOptionsTest {

    @Test
    void startsEverythingInDemoModeByDefault() {
        LaunchOptions options = LaunchOptions.parse(new String[0], Map.of());

        assertThat(options.demo()).isTrue();
        assertThat(options.services()).containsExactly(KeygateService.KEYVAULT, KeygateService.ADMIN,
                KeygateService.USAGE, KeygateService.PROXY);
    }

    @Test
    void turnsDemoModeOffByFlagOrEnvironment() {
        assertThat(LaunchOptions.parse(new String[] {"--no-demo"}, Map.of()).demo()).isFalse();
        assertThat(LaunchOptions.parse(new String[0], Map.of("KEYGATE_DEMO", "false")).demo()).isFalse();
        assertThat(LaunchOptions.parse(new String[0], Map.of("KEYGATE_DEMO", "true")).demo()).isTrue();
        assertThat(LaunchOptions.parse(new String[] {"--demo"}, Map.of("KEYGATE_DEMO", "off")).demo()).isTrue();
    }

    @Test
    void leavesOutServicesByModuleOrShortName() {
        LaunchOptions options = LaunchOptions.parse(new String[] {"--without", "proxy-service", "--without=usage,Admin"},
                Map.of());

        assertThat(options.without()).containsExactlyInAnyOrder(KeygateService.PROXY, KeygateService.USAGE,
                KeygateService.ADMIN);
        assertThat(options.services()).containsExactly(KeygateService.KEYVAULT);
    }

    @Test
    void refusesWhatItDoesNotKnow() {
        assertThatThrownBy(() -> LaunchOptions.parse(new String[] {"--fast"}, Map.of()))
                .hasMessageContaining("--fast");
        assertThatThrownBy(() -> LaunchOptions.parse(new String[] {"--without", "billing"}, Map.of()))
                .hasMessageContaining("billing").hasMessageContaining("proxy-service");
        assertThatThrownBy(() -> LaunchOptions.parse(new String[] {"--without"}, Map.of()))
                .hasMessageContaining("--without");
    }
}
