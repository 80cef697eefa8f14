package dev.keygate.admin.provider;

import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import dev.keygate.admin.provider.CatalogFile.PredefinedModel;
import dev.keygate.admin.provider.CatalogFile.PredefinedProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.core.io.ClassPathResource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CatalogFileTest {

    @Test
    void shippedCatalogHasTheSeedsProvidersWithTheirAuthentication() {
        Map<String, PredefinedProvider> providers = CatalogFile.load(new ClassPathResource("models.yaml")).stream()
                .collect(Collectors.toMap(PredefinedProvider::name, Function.identity()));

        assertThat(providers).containsOnlyKeys("openai", "anthropic", "gemini", "xai", "openclaw", "brave", "e2b",
                "exa");
        assertThat(providers.get("openai").baseUrl()).hasToString("https://api.openai.com");
        assertThat(providers.get("openai").authScheme()).isEqualTo(AuthScheme.BEARER);
        assertThat(providers.get("anthropic").baseUrl()).hasToString("https://api.anthropic.com");
        assertThat(providers.get("anthropic").authScheme()).isEqualTo(AuthScheme.X_API_KEY);
        assertThat(providers.get("gemini").baseUrl()).hasToString("https://generativelanguage.googleapis.com");
        assertThat(providers.get("gemini").authScheme()).isEqualTo(AuthScheme.X_GOOG_API_KEY);
        assertThat(providers.get("xai").baseUrl()).hasToString("https://api.x.ai");
        assertThat(providers.get("brave").kind()).isEqualTo(ProviderKind.TOOL);
        assertThat(providers.get("brave").authScheme()).isEqualTo(AuthScheme.HEADER);
        assertThat(providers.get("brave").authParam()).isEqualTo("X-Subscription-Token");
        assertThat(providers.get("e2b").baseUrl()).hasToString("https://api.e2b.dev");
        assertThat(providers.get("openclaw").models()).extracting(PredefinedModel::name).containsExactly("openclaw:main");
    }

    @Test
    void everyShippedLanguageModelHasAPlausiblePrice() {
        List<PredefinedProvider> providers = CatalogFile.load(new ClassPathResource("models.yaml"));

        List<PredefinedModel> priced = providers.stream()
                .filter(provider -> List.of("openai", "anthropic", "gemini", "xai").contains(provider.name()))
                .flatMap(provider -> provider.models().stream()).toList();

        assertThat(priced).isNotEmpty().allSatisfy(model -> {
            assertThat(model.pricing()).as(model.name()).isNotNull();
            assertThat(model.pricing().invalidPart()).as(model.name()).isNull();
            assertThat(model.pricing().cacheReadPerMillion()).as(model.name()).isNotNull();
        });
        PredefinedModel sonnet = providers.stream().filter(p -> p.name().equals("anthropic"))
                .flatMap(p -> p.models().stream()).filter(m -> m.name().equals("claude-sonnet-4-5")).findFirst()
                .orElseThrow();
        assertThat(sonnet.pricing().inputPerMillion()).isEqualByComparingTo("3");
        assertThat(sonnet.pricing().outputPerMillion()).isEqualByComparingTo("15");
        assertThat(sonnet.pricing().cacheReadPerMillion()).isEqualByComparingTo("0.30");
        assertThat(sonnet.pricing().cacheWritePerMillion()).isEqualByComparingTo("3.75");
    }

    @Test
    void readsAMinimalEntryWithDefaults() {
        List<PredefinedProvider> providers = parse("""
                providers:
                  - name: search
                    base_url: https://search.example/api
                    auth_scheme: query-param
                    models:
                      - name: web
                        pricing: {input: 1, output: 2.5}
                """);

        PredefinedProvider search = providers.get(0);
        assertThat(search.displayName()).isEqualTo("search");
        assertThat(search.kind()).isEqualTo(ProviderKind.LLM);
        assertThat(search.authParam()).isEqualTo("key");
        assertThat(search.models().get(0).displayName()).isEqualTo("web");
        assertThat(search.models().get(0).pricing().outputPerMillion()).isEqualTo(new BigDecimal("2.5"));
        assertThat(search.models().get(0).pricing().cacheWritePerMillion()).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "providers: {}|top-level 'providers' list",
            "[1, 2]|top-level 'providers' list",
            "providers: [{name: a, base_url: 'https://a.example', auth_scheme: bearer, base-url: x}]|unknown key 'base-url'",
            "providers: [{name: A, base_url: 'https://a.example', auth_scheme: bearer}]|providers[0].name 'A'",
            "providers: [{name: a, auth_scheme: bearer}]|providers[0].base_url is required",
            "providers: [{name: a, base_url: 'ftp://a.example', auth_scheme: bearer}]|must be an http(s) URL",
            "providers: [{name: a, base_url: 'https://a.example', auth_scheme: basic}]|'basic' is not one of",
            "providers: [{name: a, base_url: 'https://a.example', auth_scheme: header}]|needs auth_param",
            "providers: [{name: a, base_url: 'https://a.example', auth_scheme: bearer, auth_param: x}]|only for auth_scheme",
            "providers: [{name: a, base_url: 'https://a.example', auth_scheme: bearer, kind: db}]|kind must be",
            "providers: [{name: a, base_url: 'https://a.example', auth_scheme: bearer}, {name: a, base_url: 'https://b.example', auth_scheme: bearer}]|'a' is defined twice",
            "providers: [{name: a, base_url: 'https://a.example', auth_scheme: bearer, models: [{name: m}, {name: m}]}]|model 'm' is defined twice",
            "providers: [{name: a, base_url: 'https://a.example', auth_scheme: bearer, models: [{name: m, pricing: {input: 1}}]}]|pricing.output is required",
            "providers: [{name: a, base_url: 'https://a.example', auth_scheme: bearer, models: [{name: m, pricing: {input: '1', output: 2}}]}]|pricing.input must be a number",
            "providers: [{name: a, base_url: 'https://a.example', auth_scheme: bearer, models: [{name: m, pricing: {input: -1, output: 2}}]}]|prices from 0 to 100000",
            "providers: [{name: models, base_url: 'https://a.example', auth_scheme: bearer}]|providers[0].name 'models'",
            "providers: [unclosed|is not valid YAML"
    })
    void refusesAMistakeNamingTheEntry(String yaml, String message) {
        assertThatThrownBy(() -> parse(yaml)).isInstanceOf(IllegalStateException.class).hasMessageContaining(message);
    }

    @Test
    void refusesYamlThatWouldConstructJavaObjects() {
        assertThatThrownBy(() -> parse("providers: !!java.util.ArrayList []"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not valid YAML");
    }

    private static List<PredefinedProvider> parse(String yaml) {
        return CatalogFile.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "test.yaml");
    }
}
