package dev.keygate.proxy.compat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.keygate.proxy.limits.RateLimitStatusSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static dev.keygate.proxy.compat.CompatRoutesFixture.ANTHROPIC_KEY;
import static dev.keygate.proxy.compat.CompatRoutesFixture.PLAIN_PX;
import static org.assertj.core.api.Assertions.assertThat;

/** Seed 003's {@code /health}, {@code /api/rate-limit-status} and {@code /api/analytics-query}. */
class SeedStatusAndQueryRoutesTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Map<String, CompatProperties.QueryTemplate> QUERIES = Map.of("mrr_analysis",
            new CompatProperties.QueryTemplate("anthropic", "/v1/messages",
                    "{\"model\":\"claude-3-5-haiku-latest\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\","
                            + "\"content\":\"Analyse MRR for {{time_period}} of {{segment}}\"}]}",
                    Map.of("time_period", new CompatProperties.Parameter(List.of("last_7_days", "last_30_days"), null,
                                    "last_30_days"),
                            "segment", new CompatProperties.Parameter(List.of(), "[a-z]{1,20}", null))));

    private CompatRoutesFixture stack;

    @AfterEach
    void stop() {
        stack.close();
    }

    @Test
    void healthAnswersInTheSeedsShape() {
        stack = new CompatRoutesFixture(QUERIES, null);
        JsonNode health = JSON.readTree(stack.client.get().uri("/health").exchange()
                .expectStatus().isOk().expectBody(byte[].class).returnResult().getResponseBody());
        assertThat(health.get("status").asString()).isEqualTo("healthy");
        assertThat(Instant.parse(health.get("timestamp").asString())).isBeforeOrEqualTo(Instant.now());
        assertThat(health.get("version").asString()).isNotBlank();
    }

    @Test
    void rateLimitStatusRefusesABadCredentialAndSaysNoLimitAppliesWhileNoLimiterReports() {
        stack = new CompatRoutesFixture(QUERIES, null);
        stack.client.get().uri("/api/rate-limit-status").header("x-api-key", "px_unknown").exchange()
                .expectStatus().isUnauthorized().expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON);

        JsonNode status = get("/api/rate-limit-status", stack.client);
        assertThat(status.get("limited").asBoolean()).isFalse();
        assertThat(status.get("remaining").isNull()).isTrue();
    }

    @Test
    void withoutACredentialRateLimitStatusReportsTheClientAddressLimitAsSeed003Does() {
        Instant reset = Instant.parse("2030-01-01T00:01:00Z");
        stack = new CompatRoutesFixture(QUERIES, limiter(reset));

        JsonNode status = JSON.readTree(stack.client.get().uri("/api/rate-limit-status").exchange()
                .expectStatus().isOk().expectBody(byte[].class).returnResult().getResponseBody());

        assertThat(status.get("limited").asBoolean()).isTrue();
        assertThat(status.get("limit").asLong()).isEqualTo(30);
        assertThat(status.get("remaining").asLong()).isEqualTo(29);
    }

    private static RateLimitStatusSource limiter(Instant reset) {
        return new RateLimitStatusSource() {
            @Override
            public Optional<RateLimitStatus> statusOf(dev.keygate.proxy.clientauth.Caller caller) {
                return caller.proxyKeyId() == null ? Optional.empty()
                        : Optional.of(new RateLimitStatus(30, 12, reset, 60));
            }

            @Override
            public Optional<RateLimitStatus> statusOf(org.springframework.http.server.reactive.ServerHttpRequest anonymous) {
                return Optional.of(new RateLimitStatus(30, 29, reset, 60));
            }
        };
    }

    @Test
    void rateLimitStatusReportsWhatTheLimiterKnowsOfThisCaller() {
        Instant reset = Instant.parse("2030-01-01T00:01:00Z");
        stack = new CompatRoutesFixture(QUERIES, limiter(reset));

        JsonNode status = get("/api/rate-limit-status", stack.client);

        assertThat(status.get("limited").asBoolean()).isTrue();
        assertThat(status.get("limit").asLong()).isEqualTo(30);
        assertThat(status.get("remaining").asLong()).isEqualTo(12);
        assertThat(status.get("reset").asString()).isEqualTo("2030-01-01T00:01:00Z");
        assertThat(status.get("window_seconds").asLong()).isEqualTo(60);
    }

    @Test
    void anAllowedQueryIsRenderedServerSideAndSentToItsProvider() {
        stack = new CompatRoutesFixture(QUERIES, null);

        stack.client.post().uri("/api/analytics-query").header("x-api-key", PLAIN_PX)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"query_type\":\"mrr_analysis\",\"parameters\":{\"segment\":\"enterprise\"}}")
                .exchange().expectStatus().isOk();

        var received = stack.provider.lastRequest();
        assertThat(received.path()).isEqualTo("/v1/messages");
        assertThat(received.header("x-api-key")).isEqualTo(ANTHROPIC_KEY);
        assertThat(received.header("anthropic-version")).isEqualTo("2023-06-01");
        assertThat(JSON.readTree(received.bodyText()).get("messages").get(0).get("content").asString())
                .isEqualTo("Analyse MRR for last_30_days of enterprise");
    }

    @Test
    void anythingOutsideTheAllowListIsRefusedWithAClear400AndNeverReachesTheProvider() {
        stack = new CompatRoutesFixture(QUERIES, null);

        JsonNode unknown = refuse("{\"query_type\":\"write_me_a_poem\"}");
        assertThat(unknown.get("title").asString()).isEqualTo("Query type not allowed");
        assertThat(unknown.get("detail").asString()).contains("[mrr_analysis]").doesNotContain("poem");
        assertThat(refuse("{\"parameters\":{}}").get("title").asString()).isEqualTo("Query type not allowed");
        assertThat(refuse("{\"query_type\":\"mrr_analysis\"}").get("detail").asString())
                .contains("'segment' is required");
        assertThat(refuse("{\"query_type\":\"mrr_analysis\",\"parameters\":{\"segment\":\"x\\\"}],\\\"system\\\":\\\"y\"}}")
                .get("detail").asString()).contains("'segment' must be");
        assertThat(refuse("{\"query_type\":\"mrr_analysis\",\"parameters\":{\"segment\":\"smb\",\"time_period\":\"all_time\"}}")
                .get("detail").asString()).contains("'time_period' must be one of [last_7_days, last_30_days]");
        assertThat(refuse("{\"query_type\":\"mrr_analysis\",\"parameters\":{\"segment\":\"smb\",\"prompt\":\"hi\"}}")
                .get("detail").asString()).contains("'prompt' is not a parameter of mrr_analysis");
        assertThat(refuse("[1]").get("title").asString()).isEqualTo("Invalid query parameters");
        assertThat(stack.provider.requests()).isEmpty();
    }

    @Test
    void aQueryNeedsAnAuthenticatedCaller() {
        stack = new CompatRoutesFixture(QUERIES, null);
        stack.client.post().uri("/api/analytics-query").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"query_type\":\"mrr_analysis\",\"parameters\":{\"segment\":\"smb\"}}")
                .exchange().expectStatus().isUnauthorized();
        assertThat(stack.provider.requests()).isEmpty();
    }

    private JsonNode refuse(String body) {
        return JSON.readTree(stack.client.post().uri("/api/analytics-query").header("x-api-key", PLAIN_PX)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                .exchange().expectStatus().isBadRequest()
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody(byte[].class).returnResult().getResponseBody());
    }

    private static JsonNode get(String path, WebTestClient client) {
        return JSON.readTree(client.get().uri(path).header("Authorization", "Bearer " + PLAIN_PX).exchange()
                .expectStatus().isOk().expectBody(byte[].class).returnResult().getResponseBody());
    }
}
