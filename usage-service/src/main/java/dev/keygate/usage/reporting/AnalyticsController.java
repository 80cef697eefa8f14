package dev.keygate.usage.reporting;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import dev.keygate.usage.budget.BudgetAlerts;
import dev.keygate.usage.budget.BudgetOverview;
import dev.keygate.usage.ledger.Dimension;
import dev.keygate.usage.ledger.LatencyRow;
import dev.keygate.usage.ledger.TimeBucket;
import dev.keygate.usage.ledger.UsageAnalytics;
import dev.keygate.usage.ledger.UsageFilter;
import dev.keygate.usage.ledger.UsageRow;
import dev.keygate.usage.system.Caller;
import dev.keygate.usage.system.InvalidRequestException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * Usage analytics of the caller's own tenant, answered from the hourly aggregates: usage and cost per time bucket and
 * group (user, proxy key, provider, model, region, license tier), top spenders, error rates and latency percentiles. Every answer is JSON, or CSV with {@code Accept: text/csv}
 * or {@code format=csv}.
 */
@RestController
@RequestMapping("/api/v1/analytics")
@Tag(name = "Analytics", description = "Usage, cost, errors and latency of the caller's tenant (roles analyst, "
        + "platform-admin). Periods are widened to whole UTC hours (days for daily buckets).")
class AnalyticsController {

    static final MediaType TEXT_CSV = new MediaType("text", "csv");
    static final int MAX_TOP = 100;
    static final String TIER_FILTER = "license tier, e.g. pro: only calls the proxy recorded with that tier";
    private static final DateTimeFormatter FILE_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmm'Z'")
            .withZone(ZoneOffset.UTC);

    private final UsageAnalytics analytics;
    private final BudgetOverview budgets;
    private final BudgetAlerts alerts;

    AnalyticsController(UsageAnalytics analytics, BudgetOverview budgets, BudgetAlerts alerts) {
        this.analytics = analytics;
        this.budgets = budgets;
        this.alerts = alerts;
    }

    @GetMapping("/budgets")
    @Operation(summary = "Every budget of the tenant in its current period: spend, projection, alert, daily burn-down",
            description = "Budgets are the token and cost limits of quota policies and proxy keys' monthly budgets. "
                    + "'used' is spend over the tighter limit; 'projected' is 'used' at the period's end at the pace "
                    + "so far; 'alert' is 'exhausted', 'projected to run out before the period ends' or '80% used'.")
    BudgetsReport budgets(@AuthenticationPrincipal Jwt token) {
        return new BudgetsReport(budgets.of(Caller.from(token).tenantId()));
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record BudgetsReport(List<BudgetOverview.Budget> budgets) {
    }

    @GetMapping("/budgets/alerts")
    @Operation(summary = "Budget alerts raised for the tenant, newest first",
            description = "An alert is raised once per budget and period at each level: 'warning' when 80% of the "
                    + "budget is used, 'exhausted' when it is spent, for soft and hard budgets alike. They are also "
                    + "logged and, when the operator configured one, posted to a webhook.")
    AlertsReport alerts(@AuthenticationPrincipal Jwt token,
                        @Parameter(description = "How many alerts, 1 to 500") @RequestParam(defaultValue = "50")
                        int limit) {
        if (limit < 1 || limit > 500) {
            throw new InvalidRequestException("'limit' must be between 1 and 500.");
        }
        return new AlertsReport(alerts.recent(Caller.from(token).tenantId(), limit));
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record AlertsReport(List<BudgetAlerts.Alert> alerts) {
    }

    @GetMapping("/usage")
    @Operation(summary = "Usage and cost per time bucket, grouped by any of user, key, provider, model, region, tier",
            description = "'tier' is the caller's license tier (free, pro, enterprise) that the proxy recorded with "
                    + "each call of a license's device key; calls without one (keys people created, signed-in users, "
                    + "calls recorded before tiers were recorded) are grouped under \"\".")
    ResponseEntity<?> usage(@AuthenticationPrincipal Jwt token,
                            @Parameter(description = "ISO-8601 instant, e.g. 2026-02-01T00:00:00Z") @RequestParam Instant from,
                            @Parameter(description = "ISO-8601 instant, exclusive") @RequestParam Instant to,
                            @Parameter(description = "hour, day or none") @RequestParam(defaultValue = "day") String bucket,
                            @Parameter(description = "comma-separated: user, key, provider, model, region, tier; none for "
                                    + "totals")
                            @RequestParam(name = "group_by", defaultValue = "model") String groupBy,
                            @RequestParam(required = false) String provider,
                            @RequestParam(required = false) String model,
                            @RequestParam(required = false) String user,
                            @Parameter(description = "proxy key id") @RequestParam(required = false) String key,
                            @Parameter(description = TIER_FILTER) @RequestParam(required = false) String tier,
                            @Parameter(description = "csv for a CSV download") @RequestParam(required = false) String format,
                            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) String accept) {
        TimeBucket timeBucket = bucket(bucket);
        Set<Dimension> dimensions = dimensions(groupBy);
        AnalyticsPeriod period = AnalyticsPeriod.covering(from, to, timeBucket);
        UsageFilter filter = filter(token, period, provider, model, user, key, tier);
        List<UsageRow> rows = analytics.usage(filter, timeBucket, dimensions, UsageAnalytics.Order.GROUPS, null);
        return answer(wantsCsv(format, accept), "usage", filter,
                new UsageReport(period.from(), period.to(), timeBucket.name().toLowerCase(Locale.ROOT),
                        names(dimensions), rows),
                () -> usageCsv(rows, timeBucket, dimensions));
    }

    @GetMapping("/top-spenders")
    @Operation(summary = "The users or proxy keys that cost most over the period, most expensive first")
    ResponseEntity<?> topSpenders(@AuthenticationPrincipal Jwt token, @RequestParam Instant from,
                                  @RequestParam Instant to,
                                  @Parameter(description = "user or key") @RequestParam(defaultValue = "user") String by,
                                  @RequestParam(defaultValue = "10") int limit,
                                  @RequestParam(required = false) String provider,
                                  @RequestParam(required = false) String model,
                                  @Parameter(description = TIER_FILTER) @RequestParam(required = false) String tier,
                                  @RequestParam(required = false) String format,
                                  @RequestHeader(name = HttpHeaders.ACCEPT, required = false) String accept) {
        Dimension dimension = switch (by) {
            case "user" -> Dimension.USER;
            case "key" -> Dimension.KEY;
            default -> throw new InvalidRequestException("'by' must be 'user' or 'key'.");
        };
        if (limit < 1 || limit > MAX_TOP) {
            throw new InvalidRequestException("'limit' must be between 1 and " + MAX_TOP + ".");
        }
        AnalyticsPeriod period = AnalyticsPeriod.covering(from, to, TimeBucket.NONE);
        UsageFilter filter = filter(token, period, provider, model, null, null, tier);
        Set<Dimension> dimensions = EnumSet.of(dimension);
        List<UsageRow> rows = analytics.usage(filter, TimeBucket.NONE, dimensions, UsageAnalytics.Order.COST, limit);
        return answer(wantsCsv(format, accept), "top-spenders", filter,
                new UsageReport(period.from(), period.to(), "none", names(dimensions), rows),
                () -> usageCsv(rows, TimeBucket.NONE, dimensions));
    }

    @GetMapping("/errors")
    @Operation(summary = "Error rates (status >= 400) per group, highest rate first within each bucket")
    ResponseEntity<?> errors(@AuthenticationPrincipal Jwt token, @RequestParam Instant from, @RequestParam Instant to,
                             @RequestParam(defaultValue = "none") String bucket,
                             @RequestParam(name = "group_by", defaultValue = "provider,model") String groupBy,
                             @RequestParam(required = false) String provider,
                             @RequestParam(required = false) String model,
                             @RequestParam(required = false) String user,
                             @RequestParam(required = false) String key,
                             @Parameter(description = TIER_FILTER) @RequestParam(required = false) String tier,
                             @RequestParam(required = false) String format,
                             @RequestHeader(name = HttpHeaders.ACCEPT, required = false) String accept) {
        TimeBucket timeBucket = bucket(bucket);
        Set<Dimension> dimensions = dimensions(groupBy);
        AnalyticsPeriod period = AnalyticsPeriod.covering(from, to, timeBucket);
        UsageFilter filter = filter(token, period, provider, model, user, key, tier);
        List<UsageRow> rows = analytics.usage(filter, timeBucket, dimensions, UsageAnalytics.Order.ERROR_RATE, null);
        return answer(wantsCsv(format, accept), "errors", filter,
                new UsageReport(period.from(), period.to(), timeBucket.name().toLowerCase(Locale.ROOT),
                        names(dimensions), rows),
                () -> usageCsv(rows, timeBucket, dimensions));
    }

    @GetMapping("/latency")
    @Operation(summary = "Latency and time-to-first-byte p50/p95/p99 per provider and model",
            description = "From log-scale histograms: each figure is at most 5 % above the exact nearest-rank "
                    + "percentile and never below it; exact up to 20 ms.")
    ResponseEntity<?> latency(@AuthenticationPrincipal Jwt token, @RequestParam Instant from, @RequestParam Instant to,
                              @RequestParam(required = false) String provider,
                              @RequestParam(required = false) String model,
                              @RequestParam(required = false) String user,
                              @RequestParam(required = false) String key,
                              @RequestParam(required = false) String tier,
                              @RequestParam(required = false) String format,
                              @RequestHeader(name = HttpHeaders.ACCEPT, required = false) String accept) {
        if (user != null || key != null || tier != null) {
            throw new InvalidRequestException("Latency is kept per provider and model only; remove 'user', 'key' and "
                    + "'tier'.");
        }
        AnalyticsPeriod period = AnalyticsPeriod.covering(from, to, TimeBucket.NONE);
        UsageFilter filter = filter(token, period, provider, model, null, null, null);
        List<LatencyRow> rows = analytics.latency(filter);
        return answer(wantsCsv(format, accept), "latency", filter, new LatencyReport(period.from(), period.to(), rows),
                () -> {
                    Csv csv = new Csv().row(List.of("provider", "model", "requests", "latency_p50_ms",
                            "latency_p95_ms", "latency_p99_ms", "first_byte_requests", "first_byte_p50_ms",
                            "first_byte_p95_ms", "first_byte_p99_ms"));
                    rows.forEach(row -> csv.row(Arrays.asList(row.provider(), row.model(), row.requests(),
                            row.latencyP50Ms(), row.latencyP95Ms(), row.latencyP99Ms(), row.firstByteRequests(),
                            row.firstByteP50Ms(), row.firstByteP95Ms(), row.firstByteP99Ms())));
                    return csv.toString();
                });
    }

    private static UsageFilter filter(Jwt token, AnalyticsPeriod period, String provider, String model, String user,
                                      String key, String tier) {
        return new UsageFilter(Caller.from(token).tenantId(), period.from(), period.to(), blankToNull(provider),
                blankToNull(model), blankToNull(user), blankToNull(key), blankToNull(tier));
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    static TimeBucket bucket(String value) {
        switch (value) {
            case "hour":
                return TimeBucket.HOUR;
            case "day":
                return TimeBucket.DAY;
            case "none":
                return TimeBucket.NONE;
            default:
                throw new InvalidRequestException("'bucket' must be 'hour', 'day' or 'none'.");
        }
    }

    static Set<Dimension> dimensions(String groupBy) {
        Set<Dimension> dimensions = EnumSet.noneOf(Dimension.class);
        if (groupBy.trim().equals("none")) {
            return dimensions;
        }
        for (String name : groupBy.split(",")) {
            String trimmed = name.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            Dimension dimension = Arrays.stream(Dimension.values())
                    .filter(candidate -> candidate.parameterName().equals(trimmed))
                    .findFirst()
                    .orElseThrow(() -> new InvalidRequestException("'group_by' takes a comma-separated list of "
                            + "user, key, provider, model, region, tier, or 'none'; '" + trimmed
                            + "' is not one of them."));
            dimensions.add(dimension);
        }
        return dimensions;
    }

    /** CSV when asked for with {@code format=csv}, or when the Accept header prefers text/csv to JSON. */
    static boolean wantsCsv(String format, String accept) {
        if (format != null) {
            switch (format) {
                case "csv":
                    return true;
                case "json":
                    return false;
                default:
                    throw new InvalidRequestException("'format' must be 'csv' or 'json'.");
            }
        }
        if (accept == null) {
            return false;
        }
        List<MediaType> types = new ArrayList<>(MediaType.parseMediaTypes(accept));
        types.sort(java.util.Comparator.comparingDouble(MediaType::getQualityValue).reversed());
        for (MediaType type : types) {
            if (type.getQualityValue() > 0 && TEXT_CSV.equalsTypeAndSubtype(type)) {
                return true;
            }
            if (type.getQualityValue() > 0 && type.isCompatibleWith(MediaType.APPLICATION_JSON)) {
                return false;
            }
        }
        return false;
    }

    private static ResponseEntity<?> answer(boolean csv, String report, UsageFilter filter, Object json,
                                            java.util.function.Supplier<String> csvText) {
        if (!csv) {
            return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(json);
        }
        String filename = "keygate-" + report + "-" + filter.tenantId() + "-" + FILE_TIME.format(filter.from()) + "-"
                + FILE_TIME.format(filter.to()) + ".csv";
        return ResponseEntity.ok()
                .contentType(new MediaType(TEXT_CSV, java.nio.charset.StandardCharsets.UTF_8))
                .header(HttpHeaders.CONTENT_DISPOSITION, ContentDisposition.attachment().filename(filename).build()
                        .toString())
                .body(csvText.get());
    }

    static String usageCsv(List<UsageRow> rows, TimeBucket bucket, Set<Dimension> dimensions) {
        List<String> header = new ArrayList<>();
        if (bucket != TimeBucket.NONE) {
            header.add("bucket_start");
        }
        dimensions.forEach(dimension -> header.add(dimension.parameterName()));
        header.addAll(List.of("requests", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
                "total_tokens", "errors", "error_rate", "cost_usd", "unpriced_requests"));
        Csv csv = new Csv().row(header);
        for (UsageRow row : rows) {
            List<Object> fields = new ArrayList<>();
            if (bucket != TimeBucket.NONE) {
                fields.add(row.bucketStart().toString());
            }
            dimensions.forEach(dimension -> fields.add(row.value(dimension)));
            fields.addAll(List.of(row.requests(), row.inputTokens(), row.outputTokens(), row.cacheReadTokens(),
                    row.cacheWriteTokens(), row.totalTokens(), row.errors(), row.errorRate(), row.costUsd(),
                    row.unpricedRequests()));
            csv.row(fields);
        }
        return csv.toString();
    }

    private static List<String> names(Set<Dimension> dimensions) {
        return dimensions.stream().map(Dimension::parameterName).collect(Collectors.toList());
    }

    /** Usage rows over the whole buckets {@code [from, to)}. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record UsageReport(Instant from, Instant to, String bucket, List<String> groupBy, List<UsageRow> rows) {
    }

    /** Latency percentiles over the whole hours {@code [from, to)}. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record LatencyReport(Instant from, Instant to, List<LatencyRow> rows) {
    }
}
