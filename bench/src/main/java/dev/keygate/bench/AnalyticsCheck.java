package dev.keygate.bench;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import tools.jackson.databind.JsonNode;

/**
 * Checks what the analytics API answers (from the aggregates) against the raw {@code usage_event} rows of one
 * tenant, so that the timed numbers are the right ones: totals, per provider and model, top spenders, error
 * counts, latency percentiles within the histogram's 5 %, the per-model summary and this month's budget spend.
 * Throws on the first mismatch.
 */
final class AnalyticsCheck {

    private static final String MEASURES = """
            count(*), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
            count(*) filter (where status >= 400), coalesce(sum(cost_usd), 0),
            count(*) filter (where cost_usd is null and input_tokens + output_tokens > 0)""";
    private static final List<String> FIELDS = List.of("requests", "input_tokens", "output_tokens",
            "cache_read_tokens", "cache_write_tokens", "errors", "cost_usd", "unpriced_requests");

    private AnalyticsCheck() {
    }

    /** Returns one line per check passed, for the report. */
    static List<String> run(Connection db, DashboardBenchmark.Api api, String tenant, Instant now)
            throws Exception {
        LocalDate today = now.atOffset(ZoneOffset.UTC).toLocalDate();
        Instant from = today.minusDays(91).atStartOfDay().toInstant(ZoneOffset.UTC);
        Instant to = today.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
        String period = "from=" + from + "&to=" + to;
        List<String> passed = new ArrayList<>();

        Map<List<String>, List<Object>> raw = raw(db, "select " + MEASURES + " from usage_event "
                + "where tenant_id = ? and occurred_at >= ? and occurred_at < ?", 0, tenant, from, to);
        Map<List<String>, List<Object>> answered = rows(api.json(tenant,
                "/api/v1/analytics/usage?bucket=none&group_by=none&" + period), List.of());
        same(tenant + ": totals", raw, answered);
        List<Object> totals = raw.get(List.of());
        passed.add(String.format("%s: totals of the whole ledger period (%,d requests, %,d input and %,d output "
                + "tokens, %s USD, %,d errors, %,d unpriced) equal `usage_event`'s", tenant, totals.get(0),
                totals.get(1), totals.get(2), ((BigDecimal) totals.get(6)).setScale(2, java.math.RoundingMode.HALF_UP),
                totals.get(5), totals.get(7)));

        raw = raw(db, "select provider, coalesce(model, ''), " + MEASURES + " from usage_event "
                + "where tenant_id = ? and occurred_at >= ? and occurred_at < ? group by 1, 2", 2, tenant, from, to);
        same(tenant + ": per provider and model", raw, rows(api.json(tenant,
                "/api/v1/analytics/usage?bucket=none&group_by=provider,model&" + period), List.of("provider", "model")));
        same(tenant + ": error rates per provider and model", raw, rows(api.json(tenant,
                "/api/v1/analytics/errors?" + period), List.of("provider", "model")));
        same(tenant + ": summary per provider and model", raw,
                summaryRows(api.json(tenant, "/api/v1/usage/summary?" + period)));
        passed.add(tenant + ": " + raw.size() + " provider/model rows of /analytics/usage, /analytics/errors and "
                + "/usage/summary equal `usage_event`'s, every measure");

        raw = raw(db, "select user_id, " + MEASURES + " from usage_event "
                + "where tenant_id = ? and occurred_at >= ? and occurred_at < ? group by 1 "
                + "order by coalesce(sum(cost_usd), 0) desc, sum(input_tokens + output_tokens) desc, user_id limit 20",
                1, tenant, from, to);
        Map<List<String>, List<Object>> top = rows(api.json(tenant,
                "/api/v1/analytics/top-spenders?by=user&limit=20&" + period), List.of("user"));
        same(tenant + ": top 20 users", raw, top);
        if (!List.copyOf(raw.keySet()).equals(List.copyOf(top.keySet()))) {
            throw new IllegalStateException(tenant + ": top users in another order: " + top.keySet() + " instead of "
                    + raw.keySet());
        }
        passed.add(tenant + ": top 20 users by cost, in order and with every measure, equal `usage_event`'s");

        passed.add(latency(db, api, tenant, from, to, period));

        Instant monthStart = today.withDayOfMonth(1).atStartOfDay().toInstant(ZoneOffset.UTC);
        BigDecimal monthCost = (BigDecimal) single(db, "select coalesce(sum(cost_usd), 0) from usage_event "
                + "where tenant_id = ? and occurred_at >= ?", tenant, DashboardBenchmark.utc(monthStart));
        long monthTokens = ((Number) single(db, "select coalesce(sum(input_tokens + output_tokens), 0) from usage_event "
                + "where tenant_id = ? and occurred_at >= ?", tenant, DashboardBenchmark.utc(monthStart))).longValue();
        JsonNode tenantMonth = null;
        for (JsonNode budget : api.json(tenant, "/api/v1/analytics/budgets").get("budgets")) {
            if (budget.get("scope").asString().equals("tenant") && budget.get("period").asString().equals("month")) {
                tenantMonth = budget;
            }
        }
        if (tenantMonth == null || DashboardBenchmark.decimal(tenantMonth.get("spent_usd")).compareTo(monthCost) != 0
                || tenantMonth.get("spent_tokens").asLong() != monthTokens) {
            throw new IllegalStateException(tenant + ": this month's budget spend " + tenantMonth + " is not "
                    + monthCost + " USD and " + monthTokens + " tokens");
        }
        passed.add(String.format("%s: this month's tenant budget spend (%s USD, %,d tokens) equals `usage_event`'s",
                tenant, monthCost.setScale(2, java.math.RoundingMode.HALF_UP), monthTokens));
        return passed;
    }

    /** Per provider and model: the request count, and p50/p95/p99 no lower than exact and at most 5 % above. */
    private static String latency(Connection db, DashboardBenchmark.Api api, String tenant,
                                  Instant from, Instant to, String period) throws Exception {
        Map<List<String>, List<Object>> exact = new LinkedHashMap<>();
        try (PreparedStatement statement = db.prepareStatement("""
                select provider, coalesce(model, ''), count(*),
                       percentile_disc(array[0.5, 0.95, 0.99]) within group (order by latency_ms),
                       count(first_byte_ms),
                       percentile_disc(array[0.5, 0.95, 0.99]) within group (order by first_byte_ms)
                from usage_event where tenant_id = ? and occurred_at >= ? and occurred_at < ? group by 1, 2""")) {
            statement.setString(1, tenant);
            statement.setObject(2, DashboardBenchmark.utc(from));
            statement.setObject(3, DashboardBenchmark.utc(to));
            try (ResultSet row = statement.executeQuery()) {
                while (row.next()) {
                    exact.put(List.of(row.getString(1), row.getString(2)), List.of(row.getLong(3),
                            row.getArray(4).getArray(), row.getLong(5), row.getArray(6).getArray()));
                }
            }
        }
        int checked = 0;
        for (JsonNode row : api.json(tenant, "/api/v1/analytics/latency?" + period).get("rows")) {
            List<String> key = List.of(row.get("provider").asString(), row.get("model").asString());
            List<Object> values = exact.remove(key);
            if (values == null || row.get("requests").asLong() != (Long) values.get(0)
                    || row.get("first_byte_requests").asLong() != (Long) values.get(2)) {
                throw new IllegalStateException(tenant + ": latency counts of " + key + " are not " + values);
            }
            String[] names = {"p50", "p95", "p99"};
            for (int i = 0; i < 3; i++) {
                within(tenant, key, "latency_" + names[i], row, ((Long[]) values.get(1))[i]);
                within(tenant, key, "first_byte_" + names[i], row, ((Long[]) values.get(3))[i]);
                checked += 2;
            }
        }
        if (!exact.isEmpty()) {
            throw new IllegalStateException(tenant + ": no latency answered for " + exact.keySet());
        }
        return tenant + ": " + checked + " latency and TTFB percentiles are within [exact, exact × 1.05] of "
                + "`usage_event`'s, request counts equal";
    }

    private static void within(String tenant, List<String> key, String field, JsonNode row, Long exact) {
        JsonNode answered = row.get(field + "_ms");
        if (exact == null ? !answered.isNull() : answered.isNull() || answered.asLong() < exact
                || answered.asLong() > Math.max(exact, Math.floor(exact * 1.05))) {
            throw new IllegalStateException(tenant + ": " + field + " of " + key + " is " + answered + ", exact " + exact);
        }
    }

    private static void same(String what, Map<List<String>, List<Object>> raw, Map<List<String>, List<Object>> api) {
        if (!raw.keySet().equals(api.keySet())) {
            throw new IllegalStateException(what + ": groups differ, raw " + raw.keySet() + ", API " + api.keySet());
        }
        raw.forEach((key, values) -> {
            List<Object> answered = api.get(key);
            for (int i = 0; i < values.size(); i++) {
                boolean equal = values.get(i) instanceof BigDecimal cost
                        ? cost.compareTo((BigDecimal) answered.get(i)) == 0
                        : Objects.equals(values.get(i), answered.get(i));
                if (!equal) {
                    throw new IllegalStateException(what + ", " + key + ": " + FIELDS.get(i) + " is "
                            + answered.get(i) + " in the API and " + values.get(i) + " in usage_event");
                }
            }
        });
    }

    private static Map<List<String>, List<Object>> rows(JsonNode report, List<String> dimensions) {
        Map<List<String>, List<Object>> rows = new LinkedHashMap<>();
        for (JsonNode row : report.get("rows")) {
            rows.put(dimensions.stream().map(name -> row.get(name).asString()).toList(), measures(row));
        }
        return rows;
    }

    private static Map<List<String>, List<Object>> summaryRows(JsonNode summary) {
        Map<List<String>, List<Object>> rows = new LinkedHashMap<>();
        JsonNode models = summary.has("models") ? summary.get("models") : summary.get("rows");
        for (JsonNode row : models) {
            JsonNode model = row.get("model");
            rows.put(List.of(row.get("provider").asString(), model == null || model.isNull() ? "" : model.asString()),
                    measures(row));
        }
        return rows;
    }

    private static List<Object> measures(JsonNode row) {
        List<Object> values = new ArrayList<>();
        for (String field : FIELDS) {
            JsonNode value = row.get(field);
            values.add(field.equals("cost_usd") ? DashboardBenchmark.decimal(value) : value.asLong());
        }
        return values;
    }

    private static Map<List<String>, List<Object>> raw(Connection db, String sql, int dimensions, String tenant,
                                                       Instant from, Instant to) throws SQLException {
        Map<List<String>, List<Object>> rows = new LinkedHashMap<>();
        try (PreparedStatement statement = db.prepareStatement(sql)) {
            statement.setString(1, tenant);
            statement.setObject(2, DashboardBenchmark.utc(from));
            statement.setObject(3, DashboardBenchmark.utc(to));
            try (ResultSet row = statement.executeQuery()) {
                while (row.next()) {
                    List<String> key = new ArrayList<>();
                    for (int i = 1; i <= dimensions; i++) {
                        key.add(row.getString(i));
                    }
                    List<Object> values = new ArrayList<>();
                    for (int i = 0; i < FIELDS.size(); i++) {
                        values.add(FIELDS.get(i).equals("cost_usd") ? row.getBigDecimal(dimensions + i + 1)
                                : (Object) row.getLong(dimensions + i + 1));
                    }
                    if ((Long) values.get(0) > 0) {
                        rows.put(List.copyOf(key), values);
                    }
                }
            }
        }
        return rows;
    }

    private static Object single(Connection db, String sql, String tenant, Object at) throws SQLException {
        try (PreparedStatement statement = db.prepareStatement(sql)) {
            statement.setString(1, tenant);
            statement.setObject(2, at);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getObject(1);
            }
        }
    }
}
