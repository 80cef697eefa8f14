package dev.keygate.proxy.limits;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import dev.keygate.contracts.admin.v1.ProxyKeyIssued;
import dev.keygate.contracts.admin.v1.ProxyKeyLimits;
import dev.keygate.contracts.admin.v1.QuotaPolicyChanged;
import dev.keygate.proxy.clientauth.Caller;
import dev.keygate.proxy.clientauth.ProxyKeyDirectory;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.server.reactive.ServerHttpRequest;

/**
 * Request limits of this proxy instance, in memory and lock-free on the hot path: per client address before
 * authentication (requests and refused credentials per window), and per caller after it: requests per minute and
 * per UTC day from the proxy key's own limits and from every quota policy of its tenant, user, key and (for a
 * device-bound key) its license's tier, and calls in
 * flight per key and per user. Counters are per instance: behind N instances a caller may get up to N times a
 * limit (see docs/limits.md).
 */
public class RateLimiter {

    private static final Logger log = LoggerFactory.getLogger(RateLimiter.class);
    private static final long MINUTE = Duration.ofMinutes(1).toMillis();
    private static final long DAY = Duration.ofDays(1).toMillis();

    private final LimitsProperties properties;
    private final QuotaPolicies policies;
    private final ProxyKeyDirectory keys;
    private final Clock clock;
    private final MeterRegistry meters;
    private final WindowCounters minutes = new WindowCounters(MINUTE);
    private final WindowCounters days = new WindowCounters(DAY);
    private final WindowCounters addresses;
    private final WindowCounters failedAuthentications;
    private final InFlightCounters inFlight = new InFlightCounters();

    RateLimiter(LimitsProperties properties, QuotaPolicies policies, ProxyKeyDirectory keys, Clock clock,
                MeterRegistry meters) {
        this.properties = properties;
        this.policies = policies;
        this.keys = keys;
        this.clock = clock;
        this.meters = meters;
        this.addresses = new WindowCounters(properties.ip().window().toMillis());
        this.failedAuthentications = new WindowCounters(properties.ip().window().toMillis());
    }

    /** The client address limits count by: the remote address, IPv6 addresses by their /64 network. */
    public static String clientAddress(ServerHttpRequest request) {
        InetSocketAddress remote = request.getRemoteAddress();
        if (remote == null || remote.getAddress() == null) {
            return "unknown";
        }
        InetAddress address = remote.getAddress();
        if (address instanceof Inet6Address) {
            byte[] bytes = address.getAddress();
            StringBuilder prefix = new StringBuilder();
            for (int i = 0; i < 8; i += 2) {
                prefix.append(Integer.toHexString(((bytes[i] & 0xff) << 8) | (bytes[i + 1] & 0xff))).append(':');
            }
            return prefix.append(":/64").toString();
        }
        return address.getHostAddress();
    }

    /** Admits one request from a client address, before its credential is looked at. */
    Admission admitAddress(String address) {
        long now = clock.millis();
        LimitsProperties.Ip ip = properties.ip();
        long windowSeconds = ip.window().toSeconds();
        if (ip.failedAuthentications() > 0
                && failedAuthentications.count(address, now) >= ip.failedAuthentications()) {
            refused("failed_authentications");
            return Admission.refuse(null, "Too many failed authentications from your address: "
                            + ip.failedAuthentications() + " in " + windowSeconds + " seconds.",
                    "Check the proxy key or token your client sends, then retry after the window resets.",
                    secondsUntil(failedAuthentications.resetAt(now), now));
        }
        if (ip.requests() == 0) {
            return Admission.admit(null, Admission.NOTHING);
        }
        long counted = addresses.tryAcquire(address, ip.requests(), now);
        Quota quota = quota(addresses, ip.requests(), counted, now);
        if (counted < 0) {
            refused("address");
            return Admission.refuse(quota, "Rate limit of " + ip.requests() + " requests per " + windowSeconds
                            + " seconds exceeded. Current usage: " + (-counted - 1),
                    "Slow down and retry after the window resets; this limit counts every request from your address.",
                    secondsUntil(addresses.resetAt(now), now));
        }
        return Admission.admit(quota, Admission.NOTHING);
    }

    /** Counts a credential the proxy refused, so an address guessing keys is stopped. */
    void recordFailedAuthentication(String address) {
        if (properties.ip().failedAuthentications() > 0) {
            failedAuthentications.increment(address, clock.millis());
        }
    }

    /**
     * Admits one call of an authenticated caller: in-flight caps first (they are given back), then every hard
     * window limit (all or none is counted), then soft ones, which only report.
     */
    Admission admit(Caller caller) {
        long now = clock.millis();
        List<Runnable> releases = new ArrayList<>(2);
        String keySlot = caller.proxyKeyId() == null ? null : "key:" + caller.proxyKeyId();
        String userSlot = "user:" + caller.tenantId() + '/' + caller.userId();
        if (keySlot != null && properties.maxInFlightPerKey() > 0) {
            if (inFlight.tryAcquire(keySlot, properties.maxInFlightPerKey()) < 0) {
                return inFlightRefusal(properties.maxInFlightPerKey(), "proxy key");
            }
            releases.add(() -> inFlight.release(keySlot));
        }
        if (properties.maxInFlightPerUser() > 0) {
            if (inFlight.tryAcquire(userSlot, properties.maxInFlightPerUser()) < 0) {
                releases.forEach(Runnable::run);
                return inFlightRefusal(properties.maxInFlightPerUser(), "user");
            }
            releases.add(() -> inFlight.release(userSlot));
        }
        List<WindowLimit> limits = limitsOf(caller);
        List<WindowLimit> taken = new ArrayList<>(limits.size());
        Quota shown = null;
        for (WindowLimit limit : limits) {
            if (!limit.hard()) {
                continue;
            }
            long counted = limit.counters().tryAcquire(limit.counter(), limit.limit(), now);
            if (counted < 0) {
                taken.forEach(t -> t.counters().release(t.counter(), now));
                releases.forEach(Runnable::run);
                refused(limit.daily() ? "day" : "minute");
                return Admission.refuse(quota(limit.counters(), limit.limit(), counted, now), limit.message(-counted - 1),
                        limit.fix(), secondsUntil(limit.counters().resetAt(now), now));
            }
            taken.add(limit);
            shown = Quota.tighter(shown, quota(limit.counters(), limit.limit(), counted, now));
        }
        for (WindowLimit limit : limits) {
            if (!limit.hard()) {
                long counted = limit.counters().increment(limit.counter(), now);
                if (counted > limit.limit()) {
                    meters.counter("keygate.proxy.limits.soft.exceeded", "kind", limit.daily() ? "day" : "minute")
                            .increment();
                    if (counted == limit.limit() + 1) {
                        log.info("Soft limit passed, call let through: {} (tenant {}, user {}, key {})",
                                limit.name(), caller.tenantId(), caller.userId(), caller.proxyKeyId());
                    }
                }
            }
        }
        return Admission.admit(shown, releases.isEmpty() ? Admission.NOTHING : once(releases));
    }

    /** Every limit that applies to this caller, as it stands now, without counting anything. */
    public List<LimitStatus> status(Caller caller) {
        long now = clock.millis();
        List<LimitStatus> statuses = new ArrayList<>();
        for (WindowLimit limit : limitsOf(caller)) {
            long used = limit.counters().count(limit.counter(), now);
            statuses.add(new LimitStatus(limit.name(), limit.limit(), Math.max(0, limit.limit() - used),
                    Instant.ofEpochMilli(limit.counters().resetAt(now)), limit.hard(),
                    limit.counters() == minutes ? MINUTE / 1000 : DAY / 1000));
        }
        if (caller.proxyKeyId() != null && properties.maxInFlightPerKey() > 0) {
            statuses.add(new LimitStatus("proxy-key calls in flight", properties.maxInFlightPerKey(),
                    properties.maxInFlightPerKey() - inFlight.inFlight("key:" + caller.proxyKeyId()), null, true, 0));
        }
        if (properties.maxInFlightPerUser() > 0) {
            statuses.add(new LimitStatus("user calls in flight", properties.maxInFlightPerUser(),
                    properties.maxInFlightPerUser() - inFlight.inFlight("user:" + caller.tenantId() + '/'
                            + caller.userId()), null, true, 0));
        }
        return statuses;
    }

    /** The per-address limit as it stands for one client address (see {@link #clientAddress}). */
    public List<LimitStatus> status(String address) {
        long now = clock.millis();
        List<LimitStatus> statuses = new ArrayList<>();
        LimitsProperties.Ip ip = properties.ip();
        if (ip.requests() > 0) {
            statuses.add(new LimitStatus("requests per " + ip.window().toSeconds() + " seconds from your address",
                    ip.requests(), Math.max(0, ip.requests() - addresses.count(address, now)),
                    Instant.ofEpochMilli(addresses.resetAt(now)), true, ip.window().toSeconds()));
        }
        if (ip.failedAuthentications() > 0) {
            statuses.add(new LimitStatus("failed authentications per " + ip.window().toSeconds() + " seconds",
                    ip.failedAuthentications(), Math.max(0, ip.failedAuthentications()
                    - failedAuthentications.count(address, now)),
                    Instant.ofEpochMilli(failedAuthentications.resetAt(now)), true, ip.window().toSeconds()));
        }
        return statuses;
    }

    /** Drops counters of past windows. Runs off the request path. */
    void sweep() {
        long now = clock.millis();
        minutes.sweep(now);
        days.sweep(now);
        addresses.sweep(now);
        failedAuthentications.sweep(now);
    }

    private List<WindowLimit> limitsOf(Caller caller) {
        List<WindowLimit> limits = new ArrayList<>(4);
        if (caller.proxyKeyId() != null) {
            ProxyKeyIssued key = keys.issued(caller.proxyKeyId()).orElse(null);
            ProxyKeyLimits own = key == null ? ProxyKeyLimits.NONE : key.limits();
            if (own.requestsPerMinute() != null) {
                limits.add(new WindowLimit(minutes, "key:" + caller.proxyKeyId(), own.requestsPerMinute(), true,
                        false, "proxy-key requests per minute", "ask the key's owner to raise its limit"));
            }
            if (own.requestsPerDay() != null) {
                boolean licensed = key.licenseId() != null;
                // A device-bound key's daily limit is the license's: every device of it counts together.
                limits.add(new WindowLimit(days, licensed ? "license:" + key.licenseId() : "key:" + caller.proxyKeyId(),
                        own.requestsPerDay(), true, true,
                        licensed ? "license requests per day" : "proxy-key requests per day",
                        licensed ? "wait until the reset or upgrade the license's tier"
                                : "wait until the reset or ask the key's owner to raise its limit"));
            }
            addPolicies(limits, policies.find(caller.tenantId(), "proxy-key", caller.proxyKeyId()),
                    "key:" + caller.proxyKeyId());
            if (key != null && key.licenseId() != null && key.licenseTier() != null) {
                // A tier policy limits each license of the tier, all its devices together, like the license's own
                // daily limit; a key without a license (or announced before tiers travelled) matches no tier.
                addPolicies(limits, policies.find(caller.tenantId(), "tier", key.licenseTier()),
                        "license:" + key.licenseId());
            }
        }
        addPolicies(limits, policies.find(caller.tenantId(), "tenant", null), "tenant:" + caller.tenantId());
        addPolicies(limits, policies.find(caller.tenantId(), "user", caller.userId()),
                "user:" + caller.tenantId() + '/' + caller.userId());
        return limits;
    }

    private void addPolicies(List<WindowLimit> limits, List<QuotaPolicyChanged> found, String subject) {
        for (QuotaPolicyChanged policy : found) {
            String fix = "tier".equals(policy.scope()) ? "wait until the reset or upgrade the license's tier"
                    : "wait until the reset or ask a tenant admin to raise the " + policy.scope() + " quota policy";
            String counter = "policy:" + policy.policyId() + ':' + subject;
            if (policy.requestsPerMinute() != null) {
                limits.add(new WindowLimit(minutes, counter, policy.requestsPerMinute(), policy.hard(), false,
                        policy.scope() + " requests per minute", fix));
            }
            if (policy.requestsPerDay() != null) {
                limits.add(new WindowLimit(days, counter, policy.requestsPerDay(), policy.hard(), true,
                        policy.scope() + " requests per day", fix));
            }
        }
    }

    private Admission inFlightRefusal(int cap, String who) {
        refused("in_flight");
        return Admission.refuse(null, "Concurrent request limit of " + cap + " calls in progress reached for this "
                + who + ". Current usage: " + cap, "wait for a call to finish before starting another", 1);
    }

    private void refused(String kind) {
        meters.counter("keygate.proxy.limits.refused", "kind", kind).increment();
    }

    private static Quota quota(WindowCounters counters, long limit, long counted, long now) {
        long used = counted < 0 ? -counted - 1 : counted;
        return new Quota(limit, Math.max(0, limit - used), Instant.ofEpochMilli(counters.resetAt(now)));
    }

    private static long secondsUntil(long resetAtMillis, long now) {
        return Math.max(1, (resetAtMillis - now + 999) / 1000);
    }

    private static Runnable once(List<Runnable> releases) {
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        return () -> {
            if (done.compareAndSet(false, true)) {
                releases.forEach(Runnable::run);
            }
        };
    }

    private record WindowLimit(WindowCounters counters, String counter, long limit, boolean hard, boolean daily,
                               String name, String fix) {

        String message(long used) {
            return daily ? "Daily limit of " + limit + " requests exceeded. Current usage: " + used
                    : "Rate limit of " + limit + " requests per minute exceeded. Current usage: " + used;
        }
    }
}
