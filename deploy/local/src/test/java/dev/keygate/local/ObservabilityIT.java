package dev.keygate.local;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import dev.keygate.contracts.Topics;
import dev.keygate.testkit.FakeLlmProvider;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Traces and metrics of the real stack ({@link RunningStack}): one W3C trace from the caller through proxy,
 * keyvault, the provider and Kafka into usage-service's ledger, exported over OTLP to a receiver standing in for a
 * collector; and every service's {@code /actuator/prometheus} after real traffic, with counts matching that traffic
 * and no identity or key material in any scrape. The demo user gwen (platform admin of tenant globex) is this class's
 * own: her provider keys and proxy keys are made here. The trace test runs first, while gwen's provider key is not
 * yet in the proxy's lease cache, so the call really reaches keyvault.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ObservabilityIT {

    private static final Logger log = LoggerFactory.getLogger(ObservabilityIT.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String OPENAI_KEY = "sk-proj-obs-" + RunningStack.random(28);
    private static final String CHAT = "/api/proxy/openai/v1/chat/completions";
    private static final Pattern SERIES = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private static RunningStack stack;
    private static FakeLlmProvider provider;
    private static String token;
    private static String userId;
    private static String proxyKey;
    private static String proxyKeyId;
    private static final List<String> secrets = new ArrayList<>();

    @BeforeAll
    static void gwenHasAnOpenAiKeyAndAProxyKey() {
        stack = RunningStack.get();
        provider = stack.provider();
        provider.reset();
        token = stack.token("gwen");
        userId = claim(token, "sub");
        stack.storeProviderKey(token, "openai", OPENAI_KEY);
        JsonNode created = stack.createProxyKey(token, "observability");
        proxyKey = created.get("key").asString();
        proxyKeyId = created.get("id").asString();
        stack.awaitProxyAccepts(proxyKey);
        secrets.addAll(List.of(OPENAI_KEY, proxyKey, token));
    }

    @Test
    @Order(1)
    void aCallersTraceRunsThroughProxyKeyvaultProviderAndKafkaIntoTheLedgerRow() throws Exception {
        String traceId = HexFormat.of().formatHex(randomBytes(16));
        String callerSpanId = HexFormat.of().formatHex(randomBytes(8));

        HttpResponse<String> answer = RunningStack.send(HttpRequest.newBuilder(stack.proxy(CHAT))
                .header("Authorization", "Bearer " + proxyKey).header("Content-Type", "application/json")
                .header("traceparent", "00-" + traceId + "-" + callerSpanId + "-01")
                .POST(HttpRequest.BodyPublishers.ofString(chat("gpt-4o-mini", false, "Trace me"))));

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        String upstream = provider.lastRequest().header("traceparent");
        assertThat(upstream).as("the provider continues the caller's trace").isNotNull()
                .startsWith("00-" + traceId + "-").doesNotContain(callerSpanId);

        List<Map<String, Object>> rows = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> RunningStack.rows(stack.wiring().usageDatabase(),
                        "select trace_id, provider, model from usage_event where trace_id = '" + traceId + "'"),
                        found -> !found.isEmpty());
        assertThat(rows).singleElement().satisfies(row -> {
            assertThat(row.get("provider")).isEqualTo("openai");
            assertThat(row.get("model")).isEqualTo("gpt-4o-mini");
        });

        List<ConsumerRecord<byte[], byte[]>> events = stack.allRecords(Topics.USAGE_RECORDED).stream()
                .filter(record -> new String(record.value(), StandardCharsets.UTF_8).contains(traceId)).toList();
        assertThat(events).singleElement().satisfies(event -> assertThat(event.headers().lastHeader("traceparent"))
                .as("the usage event carries the trace context in its headers").isNotNull()
                .extracting(header -> new String(header.value(), StandardCharsets.US_ASCII)).asString()
                .startsWith("00-" + traceId + "-"));

        OtlpSpanReceiver spans = stack.spans();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                assertThat(spans.spansOf(traceId).stream().map(OtlpSpanReceiver.ReceivedSpan::service)
                        .collect(Collectors.toSet()))
                        .as("services with spans of trace %s: %s; usage-service's span names: %s", traceId,
                                spans.spansOf(traceId), spans.spans().stream()
                                        .filter(span -> span.service().equals("usage-service"))
                                        .map(span -> span.name() + "/" + span.kind()).distinct().toList())
                        .contains("proxy-service", "keyvault-service", "usage-service"));
        List<OtlpSpanReceiver.ReceivedSpan> trace = spans.spansOf(traceId);
        log.info("Spans of the proxied call's trace:\n{}", trace.stream().map(Object::toString)
                .collect(Collectors.joining("\n")));
        assertThat(trace).filteredOn(span -> span.service().equals("proxy-service") && span.kind().equals("SPAN_KIND_SERVER"))
                .as("the proxy's server span is a child of the caller's span").singleElement()
                .extracting(OtlpSpanReceiver.ReceivedSpan::parentSpanId).isEqualTo(callerSpanId);
        List<String> sends = trace.stream().filter(span -> span.service().equals("proxy-service")
                && span.kind().equals("SPAN_KIND_PRODUCER")).map(OtlpSpanReceiver.ReceivedSpan::spanId).toList();
        assertThat(sends).as("the usage event's send").hasSize(1);
        assertThat(trace).filteredOn(span -> span.service().equals("usage-service") && span.kind().equals("SPAN_KIND_CONSUMER"))
                .as("usage-service's listener continues the trace from the Kafka record's headers").isNotEmpty()
                .allSatisfy(span -> assertThat(span.parentSpanId()).isEqualTo(sends.get(0)));
        assertThat(trace).filteredOn(span -> span.service().equals("keyvault-service") && span.kind().equals("SPAN_KIND_SERVER"))
                .as("keyvault's resolve, called over mutual TLS").isNotEmpty();
        assertThat(spans.errors()).isEmpty();
        assertThat(spans.spans().toString()).as("no span carries key material")
                .doesNotContain(OPENAI_KEY).doesNotContain(proxyKey);
    }

    @Test
    @Order(2)
    void everyServicesPrometheusScrapeCountsTheTrafficWithLowCardinalityTagsOnly() throws Exception {
        Map<KeygateService, String> before = scrapeAll();
        String secretModel = "gwen-private-model-" + RunningStack.random(12);
        int json = 3;
        int streamed = 2;
        for (int i = 0; i < json; i++) {
            assertThat(call(chat("gpt-4o-mini", false, "JSON " + i)).statusCode()).isEqualTo(200);
        }
        for (int i = 0; i < streamed; i++) {
            HttpResponse<String> stream = call(chat("gpt-4o-mini", true, "Stream " + i));
            assertThat(stream.statusCode()).isEqualTo(200);
            assertThat(stream.body()).contains("data: [DONE]");
        }
        assertThat(call(chat(secretModel, false, "Unknown model")).statusCode()).isEqualTo(200);
        provider.failWith(500);
        assertThat(call(chat("gpt-4o-mini", false, "Provider fails")).statusCode()).isEqualTo(500);
        HttpResponse<String> noKey = RunningStack.send(HttpRequest.newBuilder(
                        stack.proxy("/api/proxy/gemini/v1beta/models/gemini-2.0-flash:generateContent"))
                .header("Authorization", "Bearer " + proxyKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"contents\":[]}")));
        assertThat(noKey.statusCode()).as(noKey.body()).isEqualTo(400);
        int answered = json + streamed + 1 + 1;

        // The ledger commits asynchronously: wait until usage-service has taken every answered call.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() ->
                delta(before, scrape(KeygateService.USAGE), "keygate_usage_lag_seconds_count", Map.of()) >= answered);
        Map<KeygateService, String> after = scrapeAll();

        Map<String, String> gpt4oMini = Map.of("provider", "openai", "model", "gpt-4o-mini");
        assertThat(delta(before, after.get(KeygateService.PROXY), "keygate_proxy_requests_seconds_count",
                with(gpt4oMini, "status", "2xx", "outcome", "success"))).isEqualTo(json + streamed);
        assertThat(delta(before, after.get(KeygateService.PROXY), "keygate_proxy_ttfb_seconds_count", gpt4oMini))
                .isEqualTo(json + streamed);
        assertThat(delta(before, after.get(KeygateService.PROXY), "keygate_proxy_requests_seconds_count",
                Map.of("provider", "openai", "model", "other", "status", "2xx"))).as("a model outside the catalog")
                .isEqualTo(1);
        assertThat(delta(before, after.get(KeygateService.PROXY), "keygate_proxy_requests_seconds_count",
                Map.of("provider", "openai", "model", "none", "status", "5xx", "outcome", "server_error")))
                .as("the provider's 500 names no model").isEqualTo(1);
        assertThat(delta(before, after.get(KeygateService.PROXY), "keygate_proxy_requests_seconds_bucket",
                with(gpt4oMini, "status", "2xx", "le", "+Inf"))).isEqualTo(json + streamed);
        assertThat(series(after.get(KeygateService.PROXY), "keygate_proxy_usage_spool_events")).isNotEmpty();
        assertThat(series(after.get(KeygateService.PROXY), "keygate_proxy_usage_spool_bytes")).isNotEmpty();
        assertThat(value(after.get(KeygateService.PROXY), "keygate_proxy_usage_spool_events", Map.of()))
                .as("Kafka is up: nothing waits on disk").isZero();
        assertThat(series(after.get(KeygateService.PROXY), "keygate_proxy_limits_refused_total"))
                .anySatisfy(line -> assertThat(line).contains("kind=\"budget\""));

        assertThat(delta(before, after.get(KeygateService.KEYVAULT), "keygate_keyvault_decrypts_total",
                Map.of("outcome", "no_key"))).as("gemini: gwen has no key").isGreaterThanOrEqualTo(1);
        assertThat(value(after.get(KeygateService.KEYVAULT), "keygate_keyvault_decrypts_total",
                Map.of("outcome", "ok"))).as("the trace test's call decrypted gwen's key").isGreaterThanOrEqualTo(1);

        assertThat(delta(before, after.get(KeygateService.USAGE), "keygate_usage_lag_seconds_count", Map.of()))
                .isEqualTo(answered);
        assertThat(delta(before, after.get(KeygateService.USAGE), "keygate_usage_events_total",
                Map.of("outcome", "recorded"))).isEqualTo(answered);
        assertThat(value(after.get(KeygateService.USAGE), "keygate_usage_lag_seconds_max", Map.of()))
                .as("seconds from a call's end to its ledger commit").isLessThan(30);
        assertThat(series(after.get(KeygateService.USAGE), "kafka_consumer_fetch_manager_records_lag_max"))
                .as("the ledger consumer's lag").isNotEmpty();
        assertThat(series(after.get(KeygateService.ADMIN), "jvm_memory_used_bytes")).isNotEmpty();

        // The dashboard asks for meters that exist, under the names Prometheus has for them.
        String dashboard = Files.readString(Path.of(System.getProperty("keygate.root", "../.."))
                .resolve("deploy/grafana/keygate-dashboard.json"));
        String scrapes = String.join("\n", after.values());
        Matcher queried = Pattern.compile("\\b((?:keygate|http_server|jvm|kafka_consumer)_[a-z_]+)\\b").matcher(dashboard);
        Set<String> names = new java.util.TreeSet<>();
        while (queried.find()) {
            // http.server.requests buckets are the container profile's (percentiles-histogram); this stack has counts.
            names.add(queried.group(1).replaceFirst("^(http_server_requests_seconds)_bucket$", "$1_count"));
        }
        // Registered on first use only: no soft limit is passed and nothing is dead-lettered here.
        names.removeAll(Set.of("keygate_proxy_limits_soft_exceeded_total", "keygate_usage_dead_letters_total"));
        assertThat(names).hasSizeGreaterThan(10);
        assertThat(names.stream().filter(name -> !Pattern.compile("(?m)^" + name + "[{ ]").matcher(scrapes).find()))
                .as("meters the dashboard asks for that no service has").isEmpty();

        Set<String> identities = Set.of(userId, proxyKeyId, "globex", secretModel);
        after.forEach((service, scraped) -> {
            for (String secret : secrets) {
                assertThat(scraped).as("%s's scrape carries no key material", service).doesNotContain(secret);
            }
            for (String labelValue : labelValues(scraped)) {
                assertThat(identities).as("%s's scrape: a tag value names a user, key, tenant or raw model", service)
                        .doesNotContain(labelValue);
            }
            for (String identity : identities) {
                assertThat(scraped).as("%s's scrape", service).doesNotContain(identity);
            }
        });
    }

    @Test
    @Order(3)
    void aBudgetRefusalIsCountedOncePerRefusedCall() throws Exception {
        String before = scrape(KeygateService.PROXY);
        // A budget of 0 USD is spent from the start: usage-service publishes it as exhausted once it learns of the
        // key (and evaluates every second), and every proxy refuses the key's calls from then on.
        HttpResponse<String> created = RunningStack.send(HttpRequest.newBuilder(stack.admin("/api/v1/proxy-keys"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"name\":\"observability budget\",\"monthly_budget_usd\":0}")));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String budgeted = JSON.readTree(created.body()).get("key").asString();
        secrets.add(budgeted);
        stack.awaitProxyAccepts(budgeted);

        int[] refused = {0};
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
            HttpResponse<String> next = budgetedCall(budgeted);
            if (next.statusCode() == 429) {
                assertThat(next.body()).contains("budget");
                refused[0]++;
            }
            return next.statusCode() == 429;
        });
        assertThat(budgetedCall(budgeted).statusCode()).isEqualTo(429);
        refused[0]++;

        assertThat(delta(before, scrape(KeygateService.PROXY), "keygate_proxy_limits_refused_total",
                Map.of("kind", "budget"))).isEqualTo(refused[0]);
    }

    private static HttpResponse<String> budgetedCall(String key) {
        return RunningStack.send(HttpRequest.newBuilder(stack.proxy(CHAT))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(chat("gpt-4o-mini", false, "Spend it"))));
    }

    private static HttpResponse<String> call(String body) {
        return RunningStack.send(HttpRequest.newBuilder(stack.proxy(CHAT))
                .header("Authorization", "Bearer " + proxyKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static String chat(String model, boolean stream, String prompt) {
        return "{\"model\":\"" + model + "\"," + (stream ? "\"stream\":true," : "")
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    }

    private static Map<KeygateService, String> scrapeAll() {
        Map<KeygateService, String> scrapes = new EnumMap<>(KeygateService.class);
        for (KeygateService service : KeygateService.values()) {
            scrapes.put(service, scrape(service));
        }
        return scrapes;
    }

    private static String scrape(KeygateService service) {
        return stack.scrape(service);
    }

    private static double delta(Map<KeygateService, String> before, String after, String name,
                                Map<String, String> labels) {
        KeygateService service = before.keySet().stream().filter(s -> name.startsWith("keygate_" + prefix(s)))
                .findFirst().orElseThrow(() -> new IllegalArgumentException("which service has " + name + "?"));
        return delta(before.get(service), after, name, labels);
    }

    private static String prefix(KeygateService service) {
        return switch (service) {
            case KEYVAULT -> "keyvault_";
            case ADMIN -> "admin_";
            case USAGE -> "usage_";
            case PROXY -> "proxy_";
        };
    }

    private static double delta(String before, String after, String name, Map<String, String> labels) {
        return value(after, name, labels) - value(before, name, labels);
    }

    /** The sum of every series of {@code name} whose labels include {@code labels}. */
    private static double value(String scrape, String name, Map<String, String> labels) {
        double sum = 0;
        for (String line : scrape.split("\n")) {
            Matcher series = SERIES.matcher(line);
            if (!series.matches() || !series.group(1).equals(name)) {
                continue;
            }
            Map<String, String> present = labels(series.group(3));
            if (labels.entrySet().stream().allMatch(e -> e.getValue().equals(present.get(e.getKey())))) {
                sum += Double.parseDouble(series.group(4));
            }
        }
        return sum;
    }

    private static List<String> series(String scrape, String name) {
        return scrape.lines().filter(line -> line.startsWith(name + "{") || line.startsWith(name + " ")).toList();
    }

    private static List<String> labelValues(String scrape) {
        List<String> values = new ArrayList<>();
        scrape.lines().filter(line -> !line.startsWith("#")).forEach(line -> {
            Matcher series = SERIES.matcher(line);
            if (series.matches()) {
                values.addAll(labels(series.group(3)).values());
            }
        });
        return values;
    }

    private static Map<String, String> labels(String text) {
        Map<String, String> labels = new java.util.HashMap<>();
        if (text != null) {
            Matcher label = LABEL.matcher(text);
            while (label.find()) {
                labels.put(label.group(1), label.group(2));
            }
        }
        return labels;
    }

    private static Map<String, String> with(Map<String, String> base, String... more) {
        Map<String, String> all = new java.util.HashMap<>(base);
        for (int i = 0; i < more.length; i += 2) {
            all.put(more[i], more[i + 1]);
        }
        return all;
    }

    private static String claim(String jwt, String name) {
        String payload = new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8);
        return JSON.readTree(payload).get(name).asString();
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }
}
