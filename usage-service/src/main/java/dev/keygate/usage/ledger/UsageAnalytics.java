package dev.keygate.usage.ledger;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowCallbackHandler;
import org.springframework.stereotype.Component;

/**
 * Answers analytics from the aggregates only, never from {@code usage_event}, so a dashboard costs the same whatever
 * the number of calls: the whole UTC days of a period from the daily table that holds what the request asks for
 * ({@code usage_rollup_daily}, {@code usage_user_daily}, {@code usage_key_daily}, {@code usage_latency_daily}), the
 * partial days at its edges and requests no daily table answers from {@code usage_model_hourly} when no user or key
 * is asked for, else from {@code usage_rollup_hourly}, and from {@code usage_latency_hourly}. Every query is bound to
 * one tenant.
 */
@Component
public class UsageAnalytics {

    private static final String MEASURES = """
            sum(requests)::bigint as requests, sum(input_tokens)::bigint as input_tokens,
            sum(output_tokens)::bigint as output_tokens, sum(cache_read_tokens)::bigint as cache_read_tokens,
            sum(cache_write_tokens)::bigint as cache_write_tokens, sum(errors)::bigint as errors,
            sum(cost_usd) as cost_usd, sum(unpriced_requests)::bigint as unpriced_requests""";

    /** What {@code usage_rollup_daily} can group by. */
    private static final Set<Dimension> PER_MODEL = EnumSet.of(Dimension.PROVIDER, Dimension.MODEL, Dimension.REGION,
            Dimension.TIER);

    public enum Order { GROUPS, COST, ERROR_RATE }

    private final JdbcTemplate jdbc;

    UsageAnalytics(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Usage per time bucket and group, ordered by bucket and then as {@code order} says; at most {@code limit} rows
     * (no limit when null).
     */
    public List<UsageRow> usage(UsageFilter filter, TimeBucket bucket, Set<Dimension> groupBy, Order order,
                                Integer limit) {
        Source source = Source.of(filter, bucket, groupBy);
        // Whole days of a daily table asked for per day and by exactly its key: its rows are the answer's rows, read
        // in key order, with nothing to add up again (usage by user per day over 90 days is 45,000 of them).
        boolean rowsAreGroups = bucket == TimeBucket.DAY && source.daily() != null && wholeDays(filter)
                && groupBy.equals(source.key());
        List<String> keys = new ArrayList<>();
        StringBuilder select = new StringBuilder("select ");
        if (bucket.expression != null) {
            select.append(rowsAreGroups ? "hour" : bucket.expression).append(" as bucket_start, ");
            keys.add("bucket_start");
        }
        for (Dimension dimension : groupBy) {
            select.append(dimension.column).append(", ");
            keys.add(dimension.column);
        }
        List<Object> arguments = new ArrayList<>();
        List<String> columns = new ArrayList<>();
        groupBy.forEach(dimension -> columns.add(dimension.column));
        columns.add(Measures.COLUMNS);
        select.append(rowsAreGroups ? Measures.COLUMNS : MEASURES).append(" from ")
                .append(parts(filter, source.hourly(), source.daily(), columns, true, arguments));
        if (!keys.isEmpty() && !rowsAreGroups) {
            select.append(" group by ").append(String.join(", ", keys));
        }
        UnaryOperator<String> total = rowsAreGroups ? UnaryOperator.identity() : column -> "sum(" + column + ")";
        List<String> sort = new ArrayList<>();
        if (bucket.expression != null) {
            sort.add("bucket_start");
        }
        if (order == Order.COST) {
            sort.add(total.apply("cost_usd") + " desc");
            sort.add(total.apply("input_tokens + output_tokens") + " desc");
        }
        else if (order == Order.ERROR_RATE) {
            sort.add(total.apply("errors") + "::numeric / nullif(" + total.apply("requests") + ", 0) desc nulls last");
            sort.add(total.apply("errors") + " desc");
        }
        groupBy.forEach(dimension -> sort.add(dimension.column));
        if (!sort.isEmpty()) {
            select.append(" order by ").append(String.join(", ", sort));
        }
        if (limit != null) {
            select.append(" limit ?");
            arguments.add(limit);
        }
        boolean bucketed = bucket.expression != null;
        return jdbc.query(select.toString(), (row, n) -> usageRow(row, bucketed, groupBy), arguments.toArray())
                .stream()
                // An empty tenant or period sums to one row of nulls when nothing is grouped.
                .filter(row -> row.requests() > 0)
                .toList();
    }

    /** Latency and first-byte percentiles per provider and model, ordered by provider and model. */
    public List<LatencyRow> latency(UsageFilter filter) {
        List<Object> arguments = new ArrayList<>();
        // Each stored row holds a whole histogram (V13): counts[i] is bucket i - 1's.
        String sql = "select provider, model, metric, b.i - 1 as bucket, sum(b.requests)::bigint as requests from "
                + parts(filter, "usage_latency_hourly", "usage_latency_daily", List.of("provider, model, metric, counts"),
                        false, arguments)
                + " cross join lateral unnest(u.counts) with ordinality as b(requests, i) where b.requests > 0"
                + " group by 1, 2, 3, 4 order by 1, 2, 3, 4";
        Map<List<String>, Map<String, NavigableMap<Integer, Long>>> histograms = new LinkedHashMap<>();
        jdbc.query(sql, (RowCallbackHandler) row -> histograms
                .computeIfAbsent(List.of(row.getString("provider"), row.getString("model")), k -> new TreeMap<>())
                .computeIfAbsent(row.getString("metric"), k -> new TreeMap<>())
                .merge(row.getInt("bucket"), row.getLong("requests"), Long::sum), arguments.toArray());
        List<LatencyRow> rows = new ArrayList<>();
        histograms.forEach((group, metrics) -> {
            NavigableMap<Integer, Long> latency = metrics.getOrDefault("latency", new TreeMap<>());
            NavigableMap<Integer, Long> firstByte = metrics.getOrDefault("first_byte", new TreeMap<>());
            rows.add(new LatencyRow(group.get(0), group.get(1), count(latency),
                    LatencyHistogram.percentile(latency, 0.50), LatencyHistogram.percentile(latency, 0.95),
                    LatencyHistogram.percentile(latency, 0.99), count(firstByte),
                    LatencyHistogram.percentile(firstByte, 0.50), LatencyHistogram.percentile(firstByte, 0.95),
                    LatencyHistogram.percentile(firstByte, 0.99)));
        });
        return rows;
    }

    private static long count(Map<Integer, Long> histogram) {
        return histogram.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * The tables a usage request reads: {@code daily} (null when none holds what it asks for: hourly buckets; a user
     * or key filter next to any other filter or grouping; a grouping by user or key next to any other) for whole
     * UTC days, {@code hourly} for the other hours, and the daily table's key columns after tenant and day.
     */
    private record Source(String hourly, String daily, Set<Dimension> key) {

        static Source of(UsageFilter filter, TimeBucket bucket, Set<Dimension> groupBy) {
            boolean perModel = filter.provider() != null || filter.model() != null || filter.tier() != null;
            String daily = null;
            Set<Dimension> key = Set.of();
            if (filter.userId() == null && filter.proxyKeyId() == null && PER_MODEL.containsAll(groupBy)) {
                return new Source("usage_model_hourly", bucket == TimeBucket.HOUR ? null : "usage_rollup_daily",
                        PER_MODEL);
            }
            if (!perModel && filter.proxyKeyId() == null && Set.of(Dimension.USER).containsAll(groupBy)) {
                daily = "usage_user_daily";
                key = EnumSet.of(Dimension.USER);
            }
            else if (!perModel && filter.userId() == null && Set.of(Dimension.KEY).containsAll(groupBy)) {
                daily = "usage_key_daily";
                key = EnumSet.of(Dimension.KEY);
            }
            return new Source("usage_rollup_hourly", bucket == TimeBucket.HOUR ? null : daily, key);
        }
    }

    /** Whether a request's period is whole UTC days, so that only daily rows answer it. */
    private static boolean wholeDays(UsageFilter filter) {
        return filter.from().truncatedTo(ChronoUnit.DAYS).equals(filter.from())
                && filter.to().truncatedTo(ChronoUnit.DAYS).equals(filter.to()) && filter.from().isBefore(filter.to());
    }

    /**
     * The rows a request sums, as a subquery of {@code columns} with the time column named {@code hour}: the whole
     * UTC days of the period from {@code daily} (when not null), the hours before the first and after the last whole
     * day from {@code hourly}. Both hold the same sums for the same hours, so the answer is the one the hourly table
     * alone gives, from far fewer rows.
     */
    private static String parts(UsageFilter filter, String hourly, String daily, List<String> columns,
                                boolean perCaller, List<Object> arguments) {
        Instant from = filter.from();
        Instant to = filter.to();
        Instant firstDay = from.truncatedTo(ChronoUnit.DAYS).equals(from) ? from
                : from.truncatedTo(ChronoUnit.DAYS).plus(1, ChronoUnit.DAYS);
        Instant lastDay = to.truncatedTo(ChronoUnit.DAYS);
        String selected = String.join(", ", columns);
        List<String> parts = new ArrayList<>();
        if (daily == null || !firstDay.isBefore(lastDay)) {
            parts.add(part(hourly, "hour", selected, filter, from, to, perCaller, arguments));
        }
        else {
            if (from.isBefore(firstDay)) {
                parts.add(part(hourly, "hour", selected, filter, from, firstDay, perCaller, arguments));
            }
            parts.add(part(daily, "day", selected, filter, firstDay, lastDay, perCaller, arguments));
            if (lastDay.isBefore(to)) {
                parts.add(part(hourly, "hour", selected, filter, lastDay, to, perCaller, arguments));
            }
        }
        return "(" + String.join(" union all ", parts) + ") u";
    }

    private static String part(String table, String time, String selected, UsageFilter filter, Instant from,
                               Instant to, boolean perCaller, List<Object> arguments) {
        StringBuilder part = new StringBuilder("select ").append(time).append(" as hour, ").append(selected)
                .append(" from ").append(table).append(" where tenant_id = ? and ").append(time).append(" >= ? and ")
                .append(time).append(" < ?");
        arguments.add(filter.tenantId());
        arguments.add(UsageLedger.utc(from));
        arguments.add(UsageLedger.utc(to));
        condition(part, arguments, "provider", filter.provider());
        condition(part, arguments, "model", filter.model());
        if (perCaller) {
            condition(part, arguments, "user_id", filter.userId());
            condition(part, arguments, "proxy_key_id", filter.proxyKeyId());
            condition(part, arguments, "tier", filter.tier());
        }
        else if (filter.userId() != null || filter.proxyKeyId() != null || filter.tier() != null) {
            throw new IllegalArgumentException("latency is not kept per user, key or tier");
        }
        return part.toString();
    }

    private static void condition(StringBuilder where, List<Object> arguments, String column, String value) {
        if (value != null) {
            where.append(" and ").append(column).append(" = ?");
            arguments.add(value);
        }
    }

    private static UsageRow usageRow(ResultSet row, boolean bucketed, Set<Dimension> groupBy) throws SQLException {
        Instant bucketStart = bucketed ? row.getObject("bucket_start", OffsetDateTime.class).toInstant() : null;
        long requests = row.getLong("requests");
        long input = row.getLong("input_tokens");
        long output = row.getLong("output_tokens");
        long errors = row.getLong("errors");
        return new UsageRow(bucketStart, dimension(row, groupBy, Dimension.USER),
                dimension(row, groupBy, Dimension.KEY), dimension(row, groupBy, Dimension.PROVIDER),
                dimension(row, groupBy, Dimension.MODEL), dimension(row, groupBy, Dimension.REGION),
                dimension(row, groupBy, Dimension.TIER), requests, input,
                output, row.getLong("cache_read_tokens"), row.getLong("cache_write_tokens"), Math.addExact(input, output),
                errors, UsageRow.rate(errors, requests),
                plain(row.getBigDecimal("cost_usd")),
                row.getLong("unpriced_requests"));
    }

    private static java.math.BigDecimal plain(java.math.BigDecimal cost) {
        if (cost == null) {
            return java.math.BigDecimal.ZERO;
        }
        java.math.BigDecimal stripped = cost.stripTrailingZeros();
        return stripped.scale() < 0 ? stripped.setScale(0) : stripped;
    }

    private static String dimension(ResultSet row, Set<Dimension> groupBy, Dimension dimension) throws SQLException {
        return groupBy.contains(dimension) ? row.getString(dimension.column) : null;
    }
}
