package dev.keygate.proxy.limits;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import dev.keygate.contracts.admin.v1.ProxyKeyIssued;
import dev.keygate.contracts.admin.v1.ProxyKeyLimits;
import dev.keygate.contracts.admin.v1.QuotaPolicyChanged;
import dev.keygate.proxy.clientauth.Caller;
import dev.keygate.proxy.clientauth.ProxyKeyDirectory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;

class RateLimiterTest {

    /** 10:00:15 UTC: 45 s before the minute ends, 14 h before the UTC day ends. */
    private static final Instant START = Instant.parse("2025-12-23T10:00:15Z");

    private final MutableClock clock = new MutableClock(START);
    private final ProxyKeyDirectory keys = new ProxyKeyDirectory();
    private final QuotaPolicies policies = new QuotaPolicies();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private RateLimiter limiter = limiter(0, 0, 0, 0);

    @Test
    void refusesTheCallPastAKeysMinuteLimitUntilTheNextMinute() {
        Caller caller = key(new ProxyKeyLimits(3, null, null), null);

        for (int i = 1; i <= 3; i++) {
            Admission admitted = limiter.admit(caller);
            assertThat(admitted.admitted()).isTrue();
            assertThat(admitted.quota()).isEqualTo(new Quota(3, 3 - i, Instant.parse("2025-12-23T10:01:00Z")));
        }
        Admission refused = limiter.admit(caller);

        assertThat(refused.admitted()).isFalse();
        assertThat(refused.message()).isEqualTo("Rate limit of 3 requests per minute exceeded. Current usage: 3");
        assertThat(refused.retryAfterSeconds()).isEqualTo(45);
        assertThat(refused.quota().remaining()).isZero();
        clock.advance(Duration.ofSeconds(45));
        assertThat(limiter.admit(caller).admitted()).isTrue();
    }

    @Test
    void refusesPastTheDailyLimitWithSeed001sMessageUntilUtcMidnight() {
        Caller caller = key(new ProxyKeyLimits(null, 1000, null), null);
        for (int i = 0; i < 1000; i++) {
            assertThat(limiter.admit(caller).admitted()).isTrue();
        }

        Admission refused = limiter.admit(caller);

        assertThat(refused.admitted()).isFalse();
        assertThat(refused.message()).isEqualTo("Daily limit of 1000 requests exceeded. Current usage: 1000");
        assertThat(refused.quota().resetAt()).isEqualTo(Instant.parse("2025-12-24T00:00:00Z"));
        assertThat(refused.retryAfterSeconds()).isEqualTo(Duration.ofHours(14).minusSeconds(15).toSeconds());
        clock.advance(Duration.ofHours(14));
        assertThat(limiter.admit(caller).admitted()).isTrue();
    }

    @Test
    void devicesOfOneLicenseShareItsDailyLimitWhileOtherLicensesDoNot() {
        UUID license = UUID.randomUUID();
        Caller laptop = key(new ProxyKeyLimits(null, 2, null), license);
        Caller desktop = key(new ProxyKeyLimits(null, 2, null), license);
        Caller otherLicense = key(new ProxyKeyLimits(null, 2, null), UUID.randomUUID());

        assertThat(limiter.admit(laptop).admitted()).isTrue();
        assertThat(limiter.admit(desktop).admitted()).isTrue();

        assertThat(limiter.admit(laptop).admitted()).isFalse();
        assertThat(limiter.admit(desktop).admitted()).isFalse();
        assertThat(limiter.admit(otherLicense).admitted()).isTrue();
    }

    @Test
    void aTierPolicyCountsEachLicenseOfThatTierOverAllItsDevices() {
        policies.apply(policy("tier", "pro", 2, null, "hard"));
        UUID license = UUID.randomUUID();
        Caller laptop = key(ProxyKeyLimits.NONE, license, "pro");
        Caller desktop = key(ProxyKeyLimits.NONE, license, "pro");
        Caller otherProLicense = key(ProxyKeyLimits.NONE, UUID.randomUUID(), "pro");
        Caller freeLicense = key(ProxyKeyLimits.NONE, UUID.randomUUID(), "free");
        Caller personsKey = key(ProxyKeyLimits.NONE, null, null);

        assertThat(limiter.admit(laptop).admitted()).isTrue();
        assertThat(limiter.admit(desktop).admitted()).isTrue();
        Admission refused = limiter.admit(laptop);

        assertThat(refused.admitted()).isFalse();
        assertThat(refused.message()).isEqualTo("Rate limit of 2 requests per minute exceeded. Current usage: 2");
        assertThat(refused.fix()).contains("upgrade the license's tier");
        assertThat(limiter.admit(desktop).admitted()).isFalse();
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.admit(freeLicense).admitted()).isTrue();
            assertThat(limiter.admit(personsKey).admitted()).isTrue();
        }
        assertThat(limiter.admit(otherProLicense).admitted()).isTrue();
        clock.advance(Duration.ofSeconds(45));
        assertThat(limiter.admit(laptop).admitted()).isTrue();
    }

    @Test
    void aTierPolicysDailyLimitAppliesPerLicenseAndASoftOneOnlyReports() {
        policies.apply(policy("tier", "free", null, 3, "hard"));
        policies.apply(policy("tier", "pro", null, 1, "soft"));
        UUID freeLicense = UUID.randomUUID();
        Caller freeDevice = key(ProxyKeyLimits.NONE, freeLicense, "free");
        Caller secondFreeDevice = key(ProxyKeyLimits.NONE, freeLicense, "free");
        Caller proDevice = key(ProxyKeyLimits.NONE, UUID.randomUUID(), "pro");

        assertThat(limiter.admit(freeDevice).admitted()).isTrue();
        assertThat(limiter.admit(secondFreeDevice).admitted()).isTrue();
        assertThat(limiter.admit(freeDevice).admitted()).isTrue();
        Admission refused = limiter.admit(secondFreeDevice);
        assertThat(refused.admitted()).isFalse();
        assertThat(refused.message()).isEqualTo("Daily limit of 3 requests exceeded. Current usage: 3");
        assertThat(refused.quota().resetAt()).isEqualTo(Instant.parse("2025-12-24T00:00:00Z"));

        assertThat(limiter.admit(proDevice).admitted()).isTrue();
        assertThat(limiter.admit(proDevice).admitted()).isTrue();
        assertThat(meters.counter("keygate.proxy.limits.soft.exceeded", "kind", "day").count()).isEqualTo(1.0);
        assertThat(limiter.status(freeDevice)).anySatisfy(status -> {
            assertThat(status.name()).isEqualTo("tier requests per day");
            assertThat(status.remaining()).isZero();
        });
    }

    @Test
    void aTenantPolicyCountsEveryoneInTheTenantTogetherAndAUserPolicyEachUser() {
        policies.apply(policy("tenant", null, 3, null, "hard"));
        policies.apply(policy("user", "alice", 1, null, "hard"));
        Caller alice = user("alice");
        Caller bob = user("bob");

        assertThat(limiter.admit(alice).admitted()).isTrue();
        assertThat(limiter.admit(alice).message()).contains("1 requests per minute");
        assertThat(limiter.admit(bob).admitted()).isTrue();
        assertThat(limiter.admit(bob).admitted()).isTrue();

        Admission refused = limiter.admit(bob);
        assertThat(refused.admitted()).isFalse();
        assertThat(refused.message()).isEqualTo("Rate limit of 3 requests per minute exceeded. Current usage: 3");
        assertThat(limiter.admit(new Caller("other-tenant", "bob", Caller.Kind.USER_TOKEN, null, Set.of()))
                .admitted()).isTrue();
    }

    @Test
    void aRefusedCallIsNotCountedAgainstTheOtherLimits() {
        policies.apply(policy("tenant", null, 100, null, "hard"));
        Caller caller = key(new ProxyKeyLimits(1, null, null), null);

        limiter.admit(caller);
        limiter.admit(caller);
        limiter.admit(caller);

        LimitStatus tenant = limiter.status(caller).stream()
                .filter(s -> s.name().equals("tenant requests per minute")).findFirst().orElseThrow();
        assertThat(tenant.remaining()).isEqualTo(99);
    }

    @Test
    void aSoftPolicyLetsCallsThroughAndCountsThemAsExceeded() {
        policies.apply(policy("user", "alice", 1, null, "soft"));
        Caller alice = user("alice");

        assertThat(limiter.admit(alice).admitted()).isTrue();
        assertThat(limiter.admit(alice).admitted()).isTrue();
        assertThat(limiter.admit(alice).admitted()).isTrue();

        assertThat(meters.counter("keygate.proxy.limits.soft.exceeded", "kind", "minute").count()).isEqualTo(2);
        assertThat(limiter.admit(alice).quota()).as("soft limits are not shown as the caller's limit").isNull();
    }

    @Test
    void aChangedPolicyAppliesAtOnceAndADeletedOneNoLonger() {
        Caller alice = user("alice");
        QuotaPolicyChanged strict = policy("user", "alice", 1, null, "hard");
        policies.apply(strict);
        assertThat(limiter.admit(alice).admitted()).isTrue();
        assertThat(limiter.admit(alice).admitted()).isFalse();

        policies.apply(new QuotaPolicyChanged(UUID.randomUUID(), null, 0, START, strict.policyId(), "acme", "user",
                "alice", 2, null, null, null, null, null, "hard", false));
        assertThat(limiter.admit(alice).admitted()).as("the count of the minute is kept").isTrue();
        assertThat(limiter.admit(alice).admitted()).isFalse();

        policies.apply(new QuotaPolicyChanged(UUID.randomUUID(), null, 0, START, strict.policyId(), "acme", "user",
                null, null, null, null, null, null, null, "hard", true));
        assertThat(limiter.admit(alice).admitted()).isTrue();
        assertThat(policies.size()).isZero();
    }

    @Test
    void showsTheLimitWithTheFewestCallsLeft() {
        policies.apply(policy("tenant", null, null, 5, "hard"));
        Caller caller = key(new ProxyKeyLimits(10, null, null), null);

        Admission admitted = limiter.admit(caller);

        assertThat(admitted.quota()).isEqualTo(new Quota(5, 4, Instant.parse("2025-12-24T00:00:00Z")));
    }

    @Test
    void capsCallsInFlightPerKeyAndGivesSlotsBackWhenTheyEnd() {
        limiter = limiter(0, 0, 2, 0);
        Caller caller = key(ProxyKeyLimits.NONE, null);

        Admission first = limiter.admit(caller);
        Admission second = limiter.admit(caller);
        Admission third = limiter.admit(caller);

        assertThat(third.admitted()).isFalse();
        assertThat(third.message()).isEqualTo("Concurrent request limit of 2 calls in progress reached for this proxy "
                + "key. Current usage: 2");
        first.release().run();
        first.release().run();
        assertThat(limiter.admit(caller).admitted()).as("a slot released twice is given back once").isTrue();
        assertThat(limiter.admit(caller).admitted()).isFalse();
        second.release().run();
        assertThat(limiter.admit(caller).admitted()).isTrue();
    }

    @Test
    void capsCallsInFlightPerUserOverAllTheirKeys() {
        limiter = limiter(0, 0, 5, 1);
        Caller one = new Caller("acme", "alice", Caller.Kind.PROXY_KEY, UUID.randomUUID().toString(), Set.of());
        Caller two = new Caller("acme", "alice", Caller.Kind.PROXY_KEY, UUID.randomUUID().toString(), Set.of());

        Admission first = limiter.admit(one);
        Admission refused = limiter.admit(two);

        assertThat(refused.admitted()).isFalse();
        assertThat(refused.message()).contains("for this user");
        first.release().run();
        assertThat(limiter.admit(one).admitted()).as("the refused call gave its key slot back").isTrue();
    }

    @Test
    void limitsEachAddressPerWindowBeforeAuthentication() {
        limiter = limiter(2, 0, 0, 0);

        assertThat(limiter.admitAddress("192.0.2.1").admitted()).isTrue();
        assertThat(limiter.admitAddress("192.0.2.1").admitted()).isTrue();
        Admission refused = limiter.admitAddress("192.0.2.1");

        assertThat(refused.admitted()).isFalse();
        assertThat(refused.message()).isEqualTo("Rate limit of 2 requests per 60 seconds exceeded. Current usage: 2");
        assertThat(refused.retryAfterSeconds()).isEqualTo(45);
        assertThat(limiter.admitAddress("192.0.2.2").admitted()).isTrue();
        assertThat(limiter.status("192.0.2.1").get(0).remaining()).isZero();
    }

    @Test
    void stopsAnAddressThatKeepsPresentingRefusedCredentials() {
        limiter = limiter(0, 3, 0, 0);

        for (int i = 0; i < 3; i++) {
            assertThat(limiter.admitAddress("192.0.2.9").admitted()).isTrue();
            limiter.recordFailedAuthentication("192.0.2.9");
        }

        Admission refused = limiter.admitAddress("192.0.2.9");
        assertThat(refused.admitted()).isFalse();
        assertThat(refused.message()).startsWith("Too many failed authentications");
        clock.advance(Duration.ofSeconds(45));
        assertThat(limiter.admitAddress("192.0.2.9").admitted()).isTrue();
    }

    @Test
    void sweepingDropsCountersOfPastWindowsOnly() {
        WindowCounters counters = new WindowCounters(60_000);
        long now = clock.millis();
        counters.tryAcquire("old", 10, now);
        counters.tryAcquire("current", 10, now + 50_000);

        counters.sweep(now + 50_000);

        assertThat(counters.size()).isEqualTo(1);
        assertThat(counters.count("current", now + 50_000)).isEqualTo(1);
    }

    @Test
    void reportsEveryLimitOfACallerWithoutCountingIt() {
        policies.apply(policy("tenant", null, 10, 100, "soft"));
        limiter = limiter(0, 0, 4, 0);
        Caller caller = key(new ProxyKeyLimits(5, null, null), null);
        limiter.admit(caller);

        List<LimitStatus> status = limiter.status(caller);

        assertThat(status).extracting(LimitStatus::name, LimitStatus::remaining, LimitStatus::hard).containsExactly(
                org.assertj.core.groups.Tuple.tuple("proxy-key requests per minute", 4L, true),
                org.assertj.core.groups.Tuple.tuple("tenant requests per minute", 9L, false),
                org.assertj.core.groups.Tuple.tuple("tenant requests per day", 99L, false),
                org.assertj.core.groups.Tuple.tuple("proxy-key calls in flight", 3L, true));
        assertThat(limiter.status(caller)).isEqualTo(status);
    }

    private RateLimiter limiter(int ipRequests, int failedAuthentications, int perKey, int perUser) {
        LimitsProperties properties = new LimitsProperties(
                new LimitsProperties.Ip(ipRequests, Duration.ofSeconds(60), failedAuthentications), perKey, perUser,
                DataSize.ofMegabytes(10), Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofSeconds(30),
                new LimitsProperties.Cors(Map.of(), Duration.ofMinutes(10)));
        return new RateLimiter(properties, policies, keys, clock, meters);
    }

    private Caller key(ProxyKeyLimits limits, UUID license) {
        return key(limits, license, null);
    }

    private Caller key(ProxyKeyLimits limits, UUID license, String tier) {
        UUID keyId = UUID.randomUUID();
        keys.apply(new ProxyKeyIssued(UUID.randomUUID(), 0, START, keyId, "acme", "alice", "hash-" + keyId, "abcd",
                List.of(), null, license, null, List.of(), limits, tier));
        return new Caller("acme", "alice", Caller.Kind.PROXY_KEY, keyId.toString(), Set.of());
    }

    private static Caller user(String userId) {
        return new Caller("acme", userId, Caller.Kind.USER_TOKEN, null, Set.of());
    }

    private static QuotaPolicyChanged policy(String scope, String subject, Integer perMinute, Integer perDay,
                                             String enforcement) {
        return new QuotaPolicyChanged(UUID.randomUUID(), null, 0, START, UUID.randomUUID(), "acme", scope, subject,
                perMinute, perDay, null, null, null, null, enforcement, false);
    }
}
