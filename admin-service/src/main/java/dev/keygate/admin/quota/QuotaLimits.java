package dev.keygate.admin.quota;

import java.math.BigDecimal;

/** A policy's limits, validated; each {@code null} means "not limited by this policy". */
record QuotaLimits(Integer requestsPerMinute, Integer requestsPerDay, Long tokensPerDay, Long tokensPerMonth,
                   BigDecimal costPerDayUsd, BigDecimal costPerMonthUsd, String enforcement) {
}
