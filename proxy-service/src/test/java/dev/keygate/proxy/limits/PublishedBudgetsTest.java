package dev.keygate.proxy.limits;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import dev.keygate.contracts.usage.v1.BudgetState;
import dev.keygate.proxy.clientauth.Caller;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PublishedBudgetsTest {

    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    private final MutableClock clock = new MutableClock(NOW);
    private final PublishedBudgets budgets = new PublishedBudgets(clock);
    private final Caller alice = new Caller("acme", "alice", Caller.Kind.PROXY_KEY, "key-1", Set.of());
    private final Caller bob = new Caller("acme", "bob", Caller.Kind.USER_TOKEN, null, Set.of());
    private final Caller globex = new Caller("globex", "alice", Caller.Kind.PROXY_KEY, "key-1", Set.of());
    private final Caller proDevice = device("acme", "key-pro", "pro");
    private final Caller otherProDevice = device("acme", "key-pro-2", "pro");
    private final Caller freeDevice = device("acme", "key-free", "free");
    private final Caller globexProDevice = device("globex", "key-pro", "pro");

    @Test
    void anExhaustedTenantBudgetRefusesEveryoneInTheTenantUntilTheDayEnds() {
        budgets.apply(state("tenant", null, "day", true, true));

        BudgetAdmission.Verdict refused = budgets.admit(bob, "openai").block();
        assertThat(refused.admitted()).isFalse();
        assertThat(refused.message()).startsWith("Your organisation's daily 10 USD budget is spent");
        assertThat(refused.retryAfter()).hasHours(14);
        assertThat(budgets.admit(globex, "openai").block().admitted()).as("another tenant").isTrue();

        clock.advance(java.time.Duration.ofHours(14));
        assertThat(budgets.admit(bob, "openai").block().admitted()).as("the day renewed").isTrue();
    }

    @Test
    void userAndKeyBudgetsReachOnlyTheirSubject() {
        budgets.apply(state("proxy-key", "key-1", "month", true, true));

        assertThat(budgets.admit(alice, "openai").block().message()).startsWith("This proxy key's monthly");
        assertThat(budgets.admit(bob, "openai").block().admitted()).isTrue();

        budgets.apply(state("user", "bob", "month", true, true));
        assertThat(budgets.admit(bob, "openai").block().message()).startsWith("Your monthly");
    }

    @Test
    void softOrNotYetExhaustedBudgetsAdmitAndTheLatestStateWins() {
        budgets.apply(state("tenant", null, "day", true, false));
        assertThat(budgets.admit(bob, "openai").block().admitted()).as("soft").isTrue();

        budgets.apply(state("tenant", null, "day", true, true));
        assertThat(budgets.admit(bob, "openai").block().admitted()).isFalse();
        budgets.apply(state("tenant", null, "day", false, true));
        assertThat(budgets.admit(bob, "openai").block().admitted()).as("raised limit").isTrue();
    }

    @Test
    void anExhaustedTierBudgetRefusesEveryLicenseOfThatTierInTheTenantAndNoOneElse() {
        budgets.apply(state("tier", "pro", "day", true, true));

        for (Caller pro : List.of(proDevice, otherProDevice)) {
            BudgetAdmission.Verdict refused = budgets.admit(pro, "openai").block();
            assertThat(refused.admitted()).as(pro.proxyKeyId()).isFalse();
            assertThat(refused.message()).isEqualTo("The pro license tier's daily 10 USD budget is spent "
                    + "(10.20 USD, 5000 tokens this day).");
            assertThat(refused.retryAfter()).hasHours(14);
        }
        assertThat(budgets.admit(freeDevice, "openai").block().admitted()).as("another tier").isTrue();
        assertThat(budgets.admit(alice, "openai").block().admitted()).as("a key people created").isTrue();
        assertThat(budgets.admit(bob, "openai").block().admitted()).as("a signed-in user").isTrue();
        assertThat(budgets.admit(globexProDevice, "openai").block().admitted()).as("another tenant").isTrue();
    }

    @Test
    void aHardTierBudgetIsOneToReserveAgainstForCallersOfItsTierBesideTheTenants() {
        BudgetState tier = state("tier", "pro", "month", false, true);
        BudgetState tenant = state("tenant", null, "day", false, true);
        budgets.apply(tier);
        budgets.apply(tenant);
        budgets.apply(state("tier", "free", "day", false, false));

        assertThat(budgets.hardBudgetsOf(proDevice)).containsExactlyInAnyOrder(tier, tenant);
        assertThat(budgets.hardBudgetsOf(freeDevice)).as("free's budget is soft").containsExactly(tenant);
        assertThat(budgets.hardBudgetsOf(alice)).containsExactly(tenant);
        assertThat(budgets.hardBudgetsOf(globexProDevice)).isEmpty();
        assertThat(PublishedBudgets.message(tier, "only 12 tokens are left.")).isEqualTo(
                "The pro license tier's monthly budget of 10 USD cannot cover this call: only 12 tokens are left.");

        clock.advance(java.time.Duration.ofHours(14));
        assertThat(budgets.hardBudgetsOf(proDevice)).as("the day ended, the month goes on").containsExactly(tier);
    }

    private static Caller device(String tenant, String keyId, String tier) {
        return new Caller(tenant, "license:" + keyId, Caller.Kind.PROXY_KEY, keyId, Set.of(), "a".repeat(64), tier);
    }

    private static BudgetState state(String scope, String subject, String period, boolean exhausted, boolean hard) {
        Instant start = "day".equals(period) ? Instant.parse("2026-11-22T00:00:00Z")
                : Instant.parse("2026-11-01T00:00:00Z");
        Instant end = "day".equals(period) ? Instant.parse("2026-11-23T00:00:00Z")
                : Instant.parse("2026-12-01T00:00:00Z");
        return new BudgetState(UUID.randomUUID(), null, 0, NOW, "acme", scope, subject, "policy-1", period, start, end,
                new BigDecimal("10"), new BigDecimal("10.20"), null, 5000, exhausted, hard);
    }
}
