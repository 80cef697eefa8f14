package dev.keygate.proxy.limits;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeoutException;

import dev.keygate.contracts.usage.v1.BudgetShareGranted;
import dev.keygate.contracts.usage.v1.BudgetShareRequested;
import dev.keygate.contracts.usage.v1.BudgetState;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

class BudgetSharesTest {

    private static final Instant NOW = Instant.parse("2026-12-03T10:00:00Z");
    private final MutableClock clock = new MutableClock(NOW);
    private final List<BudgetShareRequested> sent = new ArrayList<>();
    /** A wait far longer than any test takes to answer, so a slow machine cannot turn an answer into a timeout. */
    private final BudgetShares shares = new BudgetShares("eu-west-1/a", "eu-west-1", sent::add, clock,
            Duration.ofSeconds(10));
    private final BudgetState keyBudget = budget("proxy-key", "key-1");
    private final BudgetState tenantBudget = budget("tenant", null);

    @Test
    void aCallWaitsForAShareThenLaterCallsReserveAgainstItWithoutAsking() {
        Mono<BudgetShares.Reservation> first = shares.reserve(List.of(keyBudget), 1_000).cache();
        first.subscribe();
        assertThat(sent).singleElement().satisfies(request -> {
            assertThat(request.isRelease()).isFalse();
            assertThat(request.tokens()).isEqualTo(1_000);
            assertThat(request.budgetKey()).isEqualTo(keyBudget.key());
        });
        UUID grant = grant(sent.get(0), 20_000);

        assertThat(first.block().reservedTokens()).isEqualTo(1_000);
        assertThat(shares.reserve(List.of(keyBudget), 19_000).block().reservedTokens()).isEqualTo(19_000);
        assertThat(sent).as("the share covered the second call").hasSize(1);
        assertThat(first.block().settle(400)).containsExactly(grant);
        assertThat(first.block().settle(400)).as("settled once").isEmpty();
    }

    @Test
    void aCallThatOutgrowsItsReservationExtendsItFromItsOwnSharesOnlyAndAllOrNone() {
        Mono<BudgetShares.Reservation> call = shares.reserve(List.of(keyBudget, tenantBudget), 1_000).cache();
        call.subscribe();
        grant(sent.get(0), 1_500);
        grant(sent.get(1), 3_000);
        BudgetShares.Reservation reservation = call.block();

        assertThat(reservation.guarded()).isTrue();
        assertThat(reservation.extend(400)).isTrue();
        assertThat(reservation.reservedTokens()).isEqualTo(1_400);
        assertThat(reservation.extend(200)).as("the key budget's share has 100 left").isFalse();
        assertThat(reservation.reservedTokens()).as("nothing taken from the tenant share either").isEqualTo(1_400);
        assertThat(sent).as("extending never asks usage-service").hasSize(2);

        reservation.settle(1_300);
        assertThat(reservation.extend(10)).as("a settled call holds nothing").isFalse();
        // What the call reserved beyond its 1,300 tokens is back: 200 of the key share, 1,700 of the tenant's.
        assertThat(shares.reserve(List.of(keyBudget, tenantBudget), 200).block().reservedTokens()).isEqualTo(200);
        assertThat(sent).hasSize(2);
        assertThat(BudgetShares.Reservation.NONE.extend(1)).as("no hard budget: nothing to extend").isFalse();
    }

    @Test
    void aCallTheBudgetCannotCoverIsRefusedWithUsageServicesReason() {
        Mono<BudgetShares.Reservation> call = shares.reserve(List.of(keyBudget), 5_000).cache();
        call.subscribe(reservation -> { }, error -> { });
        answer(sent.get(0), null, 0, 120, "Only 120 tokens of the budget are left; the call may need 5000.");

        Throwable refused = catchError(call);
        assertThat(refused).isInstanceOf(BudgetShares.Refused.class)
                .hasMessageContaining("This proxy key's daily budget of 50000 tokens cannot cover this call")
                .hasMessageContaining("Only 120 tokens");
        assertThat(((BudgetShares.Refused) refused).renewsAt()).isEqualTo(keyBudget.periodEnd());
    }

    @Test
    void reservingIsAllOrNone() {
        Mono<BudgetShares.Reservation> call = shares.reserve(List.of(keyBudget, tenantBudget), 3_000).cache();
        call.subscribe(reservation -> { }, error -> { });
        grant(sent.get(0), 3_000);
        answer(sent.get(1), null, 0, 0, "The budget is spent or held by calls in flight.");
        assertThat(catchError(call)).isInstanceOf(BudgetShares.Refused.class);

        // What the first budget's share held for the refused call is back: a call of 3,000 fits again.
        assertThat(shares.reserve(List.of(keyBudget), 3_000).block().reservedTokens()).isEqualTo(3_000);
        assertThat(sent).hasSize(2);
    }

    @Test
    void anExpiredShareIsGivenBackWithTheTokensUsedOnceItsCallsEnded() {
        Mono<BudgetShares.Reservation> call = shares.reserve(List.of(keyBudget), 2_000).cache();
        call.subscribe();
        UUID grant = grant(sent.get(0), 20_000);
        BudgetShares.Reservation reservation = call.block();

        clock.advance(Duration.ofSeconds(31));
        shares.sweep();
        assertThat(sent).as("its call is still in flight").hasSize(1);

        reservation.settle(1_234);
        shares.sweep();
        assertThat(sent).hasSize(2);
        assertThat(sent.get(1)).satisfies(release -> {
            assertThat(release.isRelease()).isTrue();
            assertThat(release.grantId()).isEqualTo(grant);
            assertThat(release.tokens()).isEqualTo(1_234);
        });
        shares.reserve(List.of(keyBudget), 10).subscribe(reserved -> { }, error -> { });
        assertThat(sent).as("an expired share is never reserved against").hasSize(3);
    }

    @Test
    void aShareNoCallUsedForTwoSecondsGoesBackSoAQuietInstanceDoesNotSitOnTheBudget() {
        Mono<BudgetShares.Reservation> call = shares.reserve(List.of(keyBudget), 100).cache();
        call.subscribe();
        UUID grant = grant(sent.get(0), 20_000);
        call.block().settle(50);

        clock.advance(Duration.ofSeconds(1));
        shares.sweep();
        assertThat(sent).hasSize(1);
        clock.advance(Duration.ofSeconds(1));
        shares.sweep();
        assertThat(sent).hasSize(2);
        assertThat(sent.get(1).grantId()).isEqualTo(grant);
        assertThat(sent.get(1).tokens()).isEqualTo(50);
    }

    @Test
    void aRemainderTooSmallForTheNextCallIsGivenBackBeforeAskingForMore() {
        Mono<BudgetShares.Reservation> call = shares.reserve(List.of(keyBudget), 200).cache();
        call.subscribe();
        UUID small = grant(sent.get(0), 300);
        call.block().settle(250);

        shares.reserve(List.of(keyBudget), 200).subscribe(reserved -> { }, error -> { });
        assertThat(sent).hasSize(3);
        assertThat(sent.get(1)).satisfies(release -> {
            assertThat(release.isRelease()).isTrue();
            assertThat(release.grantId()).isEqualTo(small);
            assertThat(release.tokens()).isEqualTo(250);
        });
        assertThat(sent.get(2).isRelease()).isFalse();
    }

    @Test
    void callsThatFindTheShareShortTogetherWaitForOneRequest() {
        List<Mono<BudgetShares.Reservation>> calls = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Mono<BudgetShares.Reservation> call = shares.reserve(List.of(keyBudget), 1_000).cache();
            call.subscribe();
            calls.add(call);
        }
        assertThat(sent).hasSize(1);
        grant(sent.get(0), 20_000);
        calls.forEach(call -> assertThat(call.block().reservedTokens()).isEqualTo(1_000));
    }

    @Test
    void noAnswerInTimeIsATimeout() {
        BudgetShares impatient = new BudgetShares("eu-west-1/a", "eu-west-1", sent::add, clock, Duration.ofMillis(300));
        assertThat(catchError(impatient.reserve(List.of(keyBudget), 1_000))).isInstanceOf(TimeoutException.class);
    }

    @Test
    void theWorstCaseIsTheBodysBytesPlusTheOutputItAllows() {
        JsonMapper json = JsonMapper.builder().build();
        String openAi = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":100,\"n\":3,\"messages\":[]}";
        String gemini = "{\"contents\":[],\"generationConfig\":{\"maxOutputTokens\":50}}";
        String unbounded = "{\"model\":\"gpt-4o-mini\",\"messages\":[]}";

        assertThat(WorstCase.tokens(openAi.getBytes(), json, 4096)).isEqualTo(openAi.length() + 300);
        assertThat(WorstCase.tokens(gemini.getBytes(), json, 4096)).isEqualTo(gemini.length() + 50);
        assertThat(WorstCase.tokens(unbounded.getBytes(), json, 4096)).isEqualTo(unbounded.length() + 4096);
        assertThat(WorstCase.tokens("not json".getBytes(), json, 4096)).isEqualTo(8 + 4096);
        assertThat(WorstCase.tokens(new byte[0], json, 4096)).isZero();
    }

    private UUID grant(BudgetShareRequested request, long tokens) {
        UUID grant = UUID.randomUUID();
        answer(request, grant, tokens, 100_000, null);
        return grant;
    }

    private void answer(BudgetShareRequested request, UUID grant, long tokens, long remaining, String reason) {
        shares.onAnswer(new BudgetShareGranted(UUID.randomUUID(), null, 0, NOW, request.instanceId(),
                request.eventId(), request.budgetKey(), request.periodStart(), grant, tokens, remaining,
                grant == null ? null : clock.instant().plusSeconds(30), reason));
    }

    @Test
    void aTierBudgetIsSharedLikeAnyOtherAndItsRefusalNamesTheTier() {
        BudgetState tierBudget = budget("tier", "free");
        Mono<BudgetShares.Reservation> call = shares.reserve(List.of(tierBudget), 5_000).cache();
        call.subscribe(reservation -> { }, error -> { });
        assertThat(sent).singleElement().satisfies(request ->
                assertThat(request.budgetKey()).isEqualTo("acme/tier/free/policy-1/day"));
        answer(sent.get(0), null, 0, 120, "Only 120 tokens of the budget are left; the call may need 5000.");

        assertThat(catchError(call)).isInstanceOf(BudgetShares.Refused.class)
                .hasMessageContaining("The free license tier's daily budget of 50000 tokens cannot cover this call");
    }

    private static Throwable catchError(Mono<?> call) {
        try {
            call.block(Duration.ofSeconds(5));
            return null;
        }
        catch (RuntimeException ex) {
            return ex instanceof BudgetShares.Refused ? ex : ex.getCause() != null ? ex.getCause() : ex;
        }
    }

    private static BudgetState budget(String scope, String subject) {
        return new BudgetState(UUID.randomUUID(), null, 0, NOW, "acme", scope, subject, "policy-1", "day",
                Instant.parse("2026-12-03T00:00:00Z"), Instant.parse("2026-12-04T00:00:00Z"), null, null, 50_000L,
                1_000, false, true);
    }
}
