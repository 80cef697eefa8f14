package dev.keygate.admin.quota;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import dev.keygate.admin.license.TierDefaults;
import dev.keygate.admin.outbox.Outbox;
import dev.keygate.admin.proxykey.ProxyKeyIssuer;
import dev.keygate.admin.system.Caller;
import dev.keygate.admin.system.ConflictException;
import dev.keygate.admin.system.InvalidRequestException;
import dev.keygate.admin.system.NotFoundException;
import dev.keygate.admin.user.KeycloakUsers;
import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.QuotaPolicyChanged;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * A tenant's quota policies. Every change is announced as {@link QuotaPolicyChanged} through the outbox in the same
 * transaction: proxies admit calls against the request limits, usage-service holds the token and cost limits.
 */
@Service
class QuotaPolicies {

    static final long MAX_TOKENS = 1_000_000_000_000L;
    static final BigDecimal MAX_COST_USD = new BigDecimal("1000000000");
    static final int MAX_REQUESTS_PER_MINUTE = 1_000_000;
    static final int MAX_REQUESTS_PER_DAY = 1_000_000_000;

    private final QuotaPolicyRepository repository;
    private final Outbox outbox;
    private final ProxyKeyIssuer proxyKeys;
    private final KeycloakUsers users;
    private final Clock clock = Clock.systemUTC();

    QuotaPolicies(QuotaPolicyRepository repository, Outbox outbox, ProxyKeyIssuer proxyKeys, KeycloakUsers users) {
        this.repository = repository;
        this.outbox = outbox;
        this.proxyKeys = proxyKeys;
        this.users = users;
    }

    @Transactional
    QuotaPolicyView create(Caller caller, QuotaPolicyRequest request) {
        if (request == null) {
            throw new InvalidRequestException("Send the policy as JSON, e.g. {\"scope\":\"tenant\","
                    + "\"requests_per_minute\":600,\"cost_per_month_usd\":1000}.");
        }
        String scope = scope(request.scope());
        String subject = subject(caller.tenantId(), scope, request.subject());
        QuotaLimits limits = limits(request);
        if (repository.existsByTenantIdAndScopeAndSubject(caller.tenantId(), scope, subject)) {
            throw new ConflictException("A " + scope + " policy for " + describe(scope, subject)
                    + " exists already; change it with PUT /api/v1/quota-policies/{id}.");
        }
        Instant now = clock.instant();
        QuotaPolicy policy = new QuotaPolicy(UUID.randomUUID(), caller.tenantId(), scope, subject, caller.userId(),
                now);
        policy.limit(limits, now);
        repository.save(policy);
        announce(policy, false, now);
        return QuotaPolicyView.of(policy);
    }

    @Transactional(readOnly = true)
    List<QuotaPolicyView> list(Caller caller) {
        return repository.findByTenantIdOrderByScopeAscSubjectAsc(caller.tenantId()).stream()
                .map(QuotaPolicyView::of).toList();
    }

    @Transactional(readOnly = true)
    QuotaPolicyView get(Caller caller, UUID id) {
        return QuotaPolicyView.of(own(caller, id));
    }

    @Transactional
    QuotaPolicyView update(Caller caller, UUID id, QuotaPolicyRequest request) {
        if (request == null) {
            throw new InvalidRequestException("Send the policy's new limits as JSON.");
        }
        QuotaPolicy policy = own(caller, id);
        if (request.scope() != null && !request.scope().equals(policy.scope())
                || request.subject() != null && !request.subject().equals(policy.subject())) {
            throw new InvalidRequestException("A policy's scope and subject cannot change; delete it and create "
                    + "another.");
        }
        Instant now = clock.instant();
        policy.limit(limits(request), now);
        announce(policy, false, now);
        return QuotaPolicyView.of(policy);
    }

    @Transactional
    void delete(Caller caller, UUID id) {
        QuotaPolicy policy = own(caller, id);
        repository.delete(policy);
        announce(policy, true, clock.instant());
    }

    private QuotaPolicy own(Caller caller, UUID id) {
        return repository.findByIdAndTenantId(id, caller.tenantId())
                .orElseThrow(() -> new NotFoundException("Your tenant has no quota policy " + id + "."));
    }

    private void announce(QuotaPolicy policy, boolean deleted, Instant now) {
        QuotaLimits limits = policy.limits();
        QuotaPolicyChanged event = new QuotaPolicyChanged(UUID.randomUUID(), null, 0, now, policy.id(),
                policy.tenantId(), policy.scope(), policy.subject(), limits.requestsPerMinute(),
                limits.requestsPerDay(), limits.tokensPerDay(), limits.tokensPerMonth(), limits.costPerDayUsd(),
                limits.costPerMonthUsd(), limits.enforcement(), deleted);
        outbox.publish(event.eventId(), Topics.ADMIN_QUOTA_POLICIES, policy.id().toString(),
                QuotaPolicyChanged.TYPE, event);
    }

    private static String scope(String requested) {
        if (requested == null || !QuotaPolicyChanged.SCOPES.contains(requested)) {
            throw new InvalidRequestException("scope must be one of 'tenant', 'user', 'proxy-key' or 'tier'.");
        }
        return requested;
    }

    private String subject(String tenantId, String scope, String requested) {
        if ("tenant".equals(scope)) {
            if (requested != null) {
                throw new InvalidRequestException("A tenant policy covers the whole tenant; leave out 'subject'.");
            }
            return QuotaPolicy.WHOLE_TENANT;
        }
        if (requested == null || requested.isBlank()) {
            throw new InvalidRequestException("A " + scope + " policy needs a 'subject': " + subjectHint(scope)
                    + ".");
        }
        String subject = requested.strip();
        boolean known;
        if ("tier".equals(scope)) {
            known = TierDefaults.known(subject);
        }
        else if ("proxy-key".equals(scope)) {
            known = uuid(subject) && proxyKeys.belongsTo(tenantId, UUID.fromString(subject));
        }
        else {
            known = subject.length() <= 255 && users.isMember(tenantId, subject);
        }
        if (!known) {
            throw new InvalidRequestException("Your tenant has no " + scope + " '" + subject + "'; 'subject' must be "
                    + subjectHint(scope) + ".");
        }
        return subject;
    }

    private static String subjectHint(String scope) {
        if ("tier".equals(scope)) {
            return "a license tier: " + String.join(", ", TierDefaults.all().stream().map(TierDefaults::tier)
                    .toList());
        }
        return "proxy-key".equals(scope) ? "the id of one of your tenant's proxy keys"
                : "the Keycloak id of a user of your tenant (GET /api/v1/users)";
    }

    private static QuotaLimits limits(QuotaPolicyRequest request) {
        String enforcement = request.enforcement() == null ? "hard" : request.enforcement();
        if (!QuotaPolicyChanged.ENFORCEMENTS.contains(enforcement)) {
            throw new InvalidRequestException("enforcement is 'hard' (refuse calls past a limit) or 'soft' (report "
                    + "them only).");
        }
        QuotaLimits limits = new QuotaLimits(
                between("requests_per_minute", request.requestsPerMinute(), MAX_REQUESTS_PER_MINUTE),
                between("requests_per_day", request.requestsPerDay(), MAX_REQUESTS_PER_DAY),
                between("tokens_per_day", request.tokensPerDay(), MAX_TOKENS),
                between("tokens_per_month", request.tokensPerMonth(), MAX_TOKENS),
                amount("cost_per_day_usd", request.costPerDayUsd()),
                amount("cost_per_month_usd", request.costPerMonthUsd()), enforcement);
        if (limits.requestsPerMinute() == null && limits.requestsPerDay() == null && limits.tokensPerDay() == null
                && limits.tokensPerMonth() == null && limits.costPerDayUsd() == null
                && limits.costPerMonthUsd() == null) {
            throw new InvalidRequestException("Set at least one limit: requests_per_minute, requests_per_day, "
                    + "tokens_per_day, tokens_per_month, cost_per_day_usd or cost_per_month_usd.");
        }
        return limits;
    }

    private static Integer between(String field, Integer value, int max) {
        if (value != null && (value < 1 || value > max)) {
            throw new InvalidRequestException(field + " must be between 1 and " + max + "; leave it out for none.");
        }
        return value;
    }

    private static Long between(String field, Long value, long max) {
        if (value != null && (value < 1 || value > max)) {
            throw new InvalidRequestException(field + " must be between 1 and " + max + "; leave it out for none.");
        }
        return value;
    }

    private static BigDecimal amount(String field, BigDecimal value) {
        if (value != null && (value.signum() < 0 || value.scale() > 4 || value.compareTo(MAX_COST_USD) > 0)) {
            throw new InvalidRequestException(field + " is an amount in US dollars from 0 to "
                    + MAX_COST_USD.toPlainString() + " with at most 4 decimals.");
        }
        return value;
    }

    private static boolean uuid(String value) {
        try {
            UUID.fromString(value);
            return value.length() == 36;
        }
        catch (IllegalArgumentException ex) {
            return false;
        }
    }

    private static String describe(String scope, String subject) {
        return "tenant".equals(scope) ? "your tenant" : "'" + subject + "'";
    }
}
