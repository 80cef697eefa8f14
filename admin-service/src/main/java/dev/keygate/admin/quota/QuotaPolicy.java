package dev.keygate.admin.quota;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** One quota policy: limits for a tenant, a user, a proxy key or a license tier. */
@Entity
@Table(name = "quota_policy")
class QuotaPolicy {

    /** The stored subject of a tenant-wide policy, which has no subject on the wire. */
    static final String WHOLE_TENANT = "*";

    @Id
    private UUID id;
    @Column(name = "tenant_id")
    private String tenantId;
    private String scope;
    private String subject;
    @Column(name = "requests_per_minute")
    private Integer requestsPerMinute;
    @Column(name = "requests_per_day")
    private Integer requestsPerDay;
    @Column(name = "tokens_per_day")
    private Long tokensPerDay;
    @Column(name = "tokens_per_month")
    private Long tokensPerMonth;
    @Column(name = "cost_per_day_usd")
    private BigDecimal costPerDayUsd;
    @Column(name = "cost_per_month_usd")
    private BigDecimal costPerMonthUsd;
    private String enforcement;
    @Column(name = "created_by")
    private String createdBy;
    @Column(name = "created_at")
    private Instant createdAt;
    @Column(name = "updated_at")
    private Instant updatedAt;

    protected QuotaPolicy() {
    }

    QuotaPolicy(UUID id, String tenantId, String scope, String subject, String createdBy, Instant now) {
        this.id = id;
        this.tenantId = tenantId;
        this.scope = scope;
        this.subject = subject;
        this.createdBy = createdBy;
        this.createdAt = now;
        this.updatedAt = now;
    }

    void limit(QuotaLimits limits, Instant now) {
        this.requestsPerMinute = limits.requestsPerMinute();
        this.requestsPerDay = limits.requestsPerDay();
        this.tokensPerDay = limits.tokensPerDay();
        this.tokensPerMonth = limits.tokensPerMonth();
        this.costPerDayUsd = limits.costPerDayUsd();
        this.costPerMonthUsd = limits.costPerMonthUsd();
        this.enforcement = limits.enforcement();
        this.updatedAt = now;
    }

    QuotaLimits limits() {
        return new QuotaLimits(requestsPerMinute, requestsPerDay, tokensPerDay, tokensPerMonth, costPerDayUsd,
                costPerMonthUsd, enforcement);
    }

    UUID id() {
        return id;
    }

    String tenantId() {
        return tenantId;
    }

    String scope() {
        return scope;
    }

    /** The user id, proxy key id or tier; {@code null} for a tenant-wide policy. */
    String subject() {
        return WHOLE_TENANT.equals(subject) ? null : subject;
    }

    String createdBy() {
        return createdBy;
    }

    Instant createdAt() {
        return createdAt;
    }

    Instant updatedAt() {
        return updatedAt;
    }
}
