package dev.keygate.admin.providerkey;

import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LocalKeyImportTest {

    @Test
    void findsEachKnownProviderKeyInTheEnvironmentAndIgnoresBlankOnes() {
        Map<String, String> environment = Map.of("OPENAI_API_KEY", " sk-openai-123 ", "ANTHROPIC_API_KEY", "",
                "E2B_API_KEY", "e2b_456", "UNRELATED_API_KEY", "x");

        assertThat(LocalKeyImport.found(environment::get))
                .containsExactly(Map.entry("e2b", "e2b_456"), Map.entry("openai", "sk-openai-123"));
    }
}
