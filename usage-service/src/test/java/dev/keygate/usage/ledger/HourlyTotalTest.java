package dev.keygate.usage.ledger;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.keygate.contracts.usage.v1.TokenUsage;
import dev.keygate.contracts.usage.v1.UsageRecorded;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HourlyTotalTest {

    @Test
    void sumsEventsOfTheSameUtcHourUserAndModelIntoOneRow() {
        List<HourlyTotal> totals = HourlyTotal.of(List.of(
                event("acme", "alice", "gpt-4o", "2026-03-01T10:00:00Z", 200, new TokenUsage(10, 5, 4, 1, 2)),
                event("acme", "alice", "gpt-4o", "2026-03-01T10:59:59.999Z", 200, new TokenUsage(7, 3, 0, 2, 0))), Map.of());

        assertThat(totals).singleElement().satisfies(total -> {
            assertThat(total.bucket()).isEqualTo(new HourlyTotal.Bucket("acme", Instant.parse("2026-03-01T10:00:00Z"),
                    "openai", "gpt-4o", "alice"));
            assertThat(total.requests()).isEqualTo(2);
            assertThat(total.inputTokens()).isEqualTo(17);
            assertThat(total.outputTokens()).isEqualTo(8);
            assertThat(total.cacheReadTokens()).isEqualTo(4);
            assertThat(total.cacheWriteTokens()).isEqualTo(3);
            assertThat(total.errors()).isZero();
        });
    }

    @Test
    void keepsHoursTenantsUsersAndModelsApartInPrimaryKeyOrder() {
        List<HourlyTotal> totals = HourlyTotal.of(List.of(
                event("globex", "bob", "gpt-4o", "2026-03-01T10:15:00Z", 200, TokenUsage.NONE),
                event("acme", "bob", "gpt-4o", "2026-03-01T11:00:00Z", 200, TokenUsage.NONE),
                event("acme", "alice", "gpt-4o-mini", "2026-03-01T10:15:00Z", 200, TokenUsage.NONE),
                event("acme", "alice", "gpt-4o", "2026-03-01T10:15:00Z", 200, TokenUsage.NONE)), Map.of());

        assertThat(totals).extracting(HourlyTotal::bucket).containsExactly(
                new HourlyTotal.Bucket("acme", Instant.parse("2026-03-01T10:00:00Z"), "openai", "gpt-4o", "alice"),
                new HourlyTotal.Bucket("acme", Instant.parse("2026-03-01T10:00:00Z"), "openai", "gpt-4o-mini", "alice"),
                new HourlyTotal.Bucket("acme", Instant.parse("2026-03-01T11:00:00Z"), "openai", "gpt-4o", "bob"),
                new HourlyTotal.Bucket("globex", Instant.parse("2026-03-01T10:00:00Z"), "openai", "gpt-4o", "bob"));
    }

    @Test
    void countsStatusesFrom400AsErrors() {
        List<HourlyTotal> totals = HourlyTotal.of(List.of(
                event("acme", "alice", "gpt-4o", "2026-03-01T10:00:00Z", 399, TokenUsage.NONE),
                event("acme", "alice", "gpt-4o", "2026-03-01T10:00:00Z", 400, TokenUsage.NONE),
                event("acme", "alice", "gpt-4o", "2026-03-01T10:00:00Z", 503, TokenUsage.NONE)), Map.of());

        assertThat(totals).singleElement().satisfies(total -> {
            assertThat(total.requests()).isEqualTo(3);
            assertThat(total.errors()).isEqualTo(2);
        });
    }

    @Test
    void filesEventsWithoutUserOrModelUnderTheEmptyString() {
        List<HourlyTotal> totals = HourlyTotal.of(List.of(
                event("acme", null, null, "2026-03-01T10:00:00Z", 200, TokenUsage.NONE)), Map.of());

        assertThat(totals).singleElement().extracting(HourlyTotal::bucket).isEqualTo(
                new HourlyTotal.Bucket("acme", Instant.parse("2026-03-01T10:00:00Z"), "openai", "", ""));
    }

    @Test
    void addsCostsAndCountsCallsThatUsedTokensButHaveNoPriceYet() {
        UsageRecorded priced = event("acme", "alice", "gpt-4o", "2026-03-01T10:00:00Z", 200, new TokenUsage(10, 5, 0, 0, 0));
        UsageRecorded unpriced = event("acme", "alice", "gpt-4o", "2026-03-01T10:01:00Z", 200, new TokenUsage(3, 1, 0, 0, 0));
        UsageRecorded failed = event("acme", "alice", "gpt-4o", "2026-03-01T10:02:00Z", 500, TokenUsage.NONE);

        List<HourlyTotal> totals = HourlyTotal.of(List.of(priced, unpriced, failed),
                Map.of(priced.eventId(), new BigDecimal("0.000075")));

        assertThat(totals).singleElement().satisfies(total -> {
            assertThat(total.cost()).isEqualByComparingTo("0.000075");
            assertThat(total.unpriced()).as("the failed call used no tokens, so it costs nothing").isEqualTo(1);
        });
    }

    @Test
    void addsNothingForNoEvents() {
        assertThat(HourlyTotal.of(List.of(), Map.of())).isEmpty();
    }

    private static UsageRecorded event(String tenant, String user, String model, String at, int status,
                                       TokenUsage usage) {
        return new UsageRecorded(UUID.randomUUID(), null, 0, Instant.parse(at), "eu-west-1", tenant, user,
                "user_token", null, "openai", model, "chat.completions", false, status, usage, 12, null, null);
    }
}
