package dev.keygate.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import dev.keygate.local.BoundedLoad.Outcome;
import dev.keygate.local.SecretScanner.Source;
import dev.keygate.testkit.FakeLlmProvider;
import dev.keygate.testkit.ServiceDatabase;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
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
 * Faults under bounded load on a stack of the suite's own ({@link FaultStack}): the Kafka broker stopped for a
 * minute (with an admin change committed meanwhile), usage-service killed with SIGKILL (twice, the second time while
 * it catches up), keyvault-service stopped, PostgreSQL restarted under admin-service and usage-service, Keycloak made
 * unreachable for the services (tokens issued before keep working; what needs Keycloak answers 503).
 * After each fault the usage ledger holds exactly the tokens the fake provider reported (no event lost, none
 * counted twice), no call hung past its client-side timeout and every service is healthy again by itself. After the
 * run a canary provider key, the proxy keys and the access tokens are searched for in every log, Kafka record,
 * database row, API answer and the usage spool: none may appear where it must not. docs/reliability.md quotes the
 * report this writes to the log and to {@code target/reliability/reliability-report.txt}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReliabilityIT {

    private static final Logger log = LoggerFactory.getLogger(ReliabilityIT.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final int CLIENTS = 4;
    private static final Duration PACE = Duration.ofMillis(250);
    private static final Duration KAFKA_OUTAGE = Duration.ofSeconds(60);
    private static final Duration SETTLE = Duration.ofSeconds(120);
    private static final Duration KEYCLOAK_OUTAGE = Duration.ofSeconds(35);
    private static final String USAGE_READ = "/api/v1/analytics/budgets";
    private static final Set<Source> NOWHERE = EnumSet.allOf(Source.class);
    private static final Set<Source> NOWHERE_BUT_ITS_ISSUING_ANSWER = EnumSet.complementOf(EnumSet.of(Source.RESPONSE));

    private static FaultStack stack;
    private static SecretScanner scanner;
    private static String canaryKey;
    private static String otherUserKey;
    private static String aliceProxyKey;
    private static String bobProxyKey;
    private static long suiteStarted;
    private static final List<Outcome> outcomes = new CopyOnWriteArrayList<>();
    private static final List<String> report = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startTheStackAndStoreTheCanary() throws Exception {
        suiteStarted = System.nanoTime();
        stack = FaultStack.start();
        report.add(String.format("stack of its own started in %.0f s", seconds(suiteStarted)));
        canaryKey = "sk-proj-canary" + RunningStack.random(40);
        otherUserKey = "sk-proj-other" + RunningStack.random(40);
        scanner = new SecretScanner()
                .secret("canary provider key", withoutLast4(canaryKey), NOWHERE)
                .secret("second provider key", withoutLast4(otherUserKey), NOWHERE);

        storeProviderKey(token("alice"), canaryKey);
        storeProviderKey(token("bob"), otherUserKey);
        aliceProxyKey = createProxyKey(token("alice"), "reliability alice");
        bobProxyKey = createProxyKey(token("bob"), "reliability bob");
        awaitProxyAccepts(aliceProxyKey);
        awaitProxyAccepts(bobProxyKey);
    }

    @AfterAll
    static void stopAndReport() {
        if (stack == null) {
            return;
        }
        long longest = outcomes.stream().mapToLong(Outcome::millis).max().orElse(0);
        report.add(String.format("calls through the proxy: %d (%d streamed), timed out: %d, longest %d ms; "
                        + "whole suite %.0f s", outcomes.size(), outcomes.stream().filter(Outcome::streamed).count(),
                outcomes.stream().filter(Outcome::timedOut).count(), longest, seconds(suiteStarted)));
        String text = "Reliability report\n" + String.join("\n", report) + "\n";
        log.info(text);
        try {
            Files.writeString(stack.workDirectory().resolve("reliability-report.txt"), text);
        }
        catch (IOException ex) {
            log.warn("Could not write the report file: {}", ex.toString());
        }
        stack.close();
    }

    @Test
    @Order(1)
    void kafkaStoppedForAMinuteUnderLoadLosesNoUsageEventAndTheProxyKeepsServing() throws Exception {
        try (BoundedLoad load = load("kafka up")) {
            awaitLedgerGrows();

            load.phase("kafka down");
            long stopped = System.nanoTime();
            stack.stopKafka();
            await().atMost(KAFKA_OUTAGE).until(() -> proxyMetric("keygate_proxy_usage_spool_spooled_total") > 0);
            // An admin change committed while Kafka is away waits in the outbox and reaches the proxy afterwards.
            String createdDuringOutage = createProxyKey(token("alice"), "created while kafka is down");
            awaitElapsed(stopped, KAFKA_OUTAGE.minusSeconds(5));
            // The spool is scanned while it holds the events; once drained its segments are deleted.
            scanner.scanFiles(Source.SPOOL, stack.spoolDirectory());
            awaitElapsed(stopped, KAFKA_OUTAGE);
            double spooled = proxyMetric("keygate_proxy_usage_spool_spooled_total");

            load.phase("kafka restarted");
            stack.startKafka();
            report.add(String.format("kafka: broker stopped (SIGTERM), started again on its data %d s later, ready "
                    + "after %.0f s; %.0f usage events spooled meanwhile", KAFKA_OUTAGE.toSeconds(), seconds(stopped),
                    spooled));
            awaitProxyAccepts(createdDuringOutage);
            await().atMost(SETTLE).until(() -> proxyMetric("keygate_proxy_usage_spool_events") == 0);
            load.close();
            keep(load, "kafka");

            assertThat(load.statuses("kafka down")).as("the proxy keeps serving while Kafka is down")
                    .containsOnlyKeys(200);
            assertThat(spooled).isPositive();
            assertThat(scanner.itemsScanned(Source.SPOOL)).as("spool segments scanned").isPositive();
        }
        afterTheFault("kafka");

        // The admin → outbox → Debezium → Kafka → proxy path works again without a restart by hand.
        String fresh = createProxyKey(token("alice"), "created after the kafka outage");
        awaitProxyAccepts(fresh);
    }

    @Test
    @Order(2)
    void usageServiceKilledMidStreamOfBatchesAndRestartedCountsEveryCallOnce() throws Exception {
        try (BoundedLoad load = load("usage up")) {
            awaitLedgerGrows();

            load.phase("usage killed");
            stack.kill(KeygateService.USAGE);
            long killed = System.nanoTime();
            awaitElapsed(killed, Duration.ofSeconds(8));
            long backlogFrom = ledgerRows();
            stack.launch(KeygateService.USAGE);
            // Killed again as soon as it writes the backlog that piled up meanwhile: mid-way through catching up.
            // Start-up included: over 90 s on a busy 2-core machine.
            await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofMillis(10))
                    .until(() -> ledgerRows() > backlogFrom);
            long atSecondKill = ledgerRows();
            stack.kill(KeygateService.USAGE);
            long backlog = providerTotals().get(0) - atSecondKill;
            load.phase("usage killed again");
            stack.launch(KeygateService.USAGE);
            stack.awaitHealthy(KeygateService.USAGE);
            load.phase("usage restarted");
            awaitLedgerGrows();
            load.close();
            keep(load, "usage");
            report.add(String.format("usage-service: SIGKILL under load, restarted after 8 s; SIGKILL again "
                    + "once it had written %d rows of its backlog (about %d calls still to write)",
                    atSecondKill - backlogFrom, Math.max(backlog, 0)));

            assertThat(load.statuses("usage killed")).containsOnlyKeys(200);
            assertThat(load.statuses("usage killed again")).containsOnlyKeys(200);
        }
        afterTheFault("usage-service");
    }

    @Test
    @Order(3)
    void keyvaultStoppedServesCachedKeysRefusesCacheMissesWith503AndRecoversByItself() throws Exception {
        try (BoundedLoad load = load("keyvault up")) {
            awaitLedgerGrows();

            load.phase("keyvault down");
            stack.stop(KeygateService.KEYVAULT);
            List<Outcome> misses = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                misses.add(load.call(bobProxyKey, chatBody("bob while keyvault is down " + i)));
            }
            awaitElapsed(System.nanoTime(), Duration.ofSeconds(8));

            load.phase("keyvault restarting");
            stack.launch(KeygateService.KEYVAULT);
            stack.awaitHealthy(KeygateService.KEYVAULT);
            load.phase("keyvault back");
            long back = System.nanoTime();
            Outcome recovered = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> load.call(bobProxyKey, chatBody("bob after keyvault returned")),
                            outcome -> outcome.status() == 200);
            long recoveredAfter = (System.nanoTime() - back) / 1_000_000;
            load.close();
            keep(load, "keyvault");
            outcomes.addAll(misses);
            outcomes.add(recovered);
            report.add(String.format("keyvault-service: stopped (SIGTERM) for %d calls with a cached key, all 200; "
                            + "%d cache-miss calls refused with %s; a cache miss served again %d ms after keyvault was "
                            + "healthy", load.outcomes("keyvault down").size(), misses.size(),
                    misses.stream().map(Outcome::status).distinct().toList(), recoveredAfter));

            assertThat(load.statuses("keyvault down")).as("calls whose key is cached are served")
                    .containsOnlyKeys(200);
            assertThat(misses).allSatisfy(miss -> {
                assertThat(miss.timedOut()).isFalse();
                assertThat(miss.status()).as(miss.error()).isEqualTo(503);
                assertThat(miss.error()).startsWith("application/problem+json");
                JsonNode problem = JSON.readTree(miss.error().substring(miss.error().indexOf('{')));
                assertThat(problem.get("status").asInt()).isEqualTo(503);
                assertThat(problem.get("detail").asString()).isNotBlank();
                assertThat(problem.get("error").get("message").asString()).isNotBlank();
            });
        }
        afterTheFault("keyvault-service");
    }

    @Test
    @Order(4)
    void postgresRestartedUnderAdminAndUsageLosesNothingAndBothRecoverByThemselves() throws Exception {
        try (BoundedLoad load = load("postgres up")) {
            awaitLedgerGrows();

            load.phase("postgres restarting");
            double restartSeconds = stack.restartPostgres();
            load.phase("postgres back");
            awaitLedgerGrows();
            // admin-service answers again, and its outbox relay (a replication connection) delivers again.
            String created = await().atMost(SETTLE).pollInterval(Duration.ofSeconds(1))
                    .until(() -> createProxyKeyOrNull(token("alice"), "created after the postgres restart"),
                            key -> key != null);
            awaitProxyAccepts(created);
            load.close();
            keep(load, "postgres");
            report.add(String.format("postgresql: stopped and started again on its data in %.1f s under load; "
                    + "admin-service and its outbox relay, and usage-service's ledger, carried on by themselves",
                    restartSeconds));

            assertThat(load.statuses("postgres restarting")).containsOnlyKeys(200);
        }
        afterTheFault("postgresql");
    }

    @Test
    @Order(5)
    void keycloakUnreachableKeepsSignedInCallersServedAndWhatNeedsKeycloakFailsWith503() throws Exception {
        String alice = token("alice");
        String ana = token("ana");
        String pat = token("pat");
        // Each service has verified a token before the outage, as running services have.
        List<Supplier<HttpResponse<String>>> signedIn = List.of(
                () -> send(bearer(stack.admin("/api/v1/proxy-keys"), alice).GET()),
                () -> send(bearer(stack.usage(USAGE_READ), ana).GET()),
                () -> send(bearer(stack.proxy("/api/proxy/openai/v1/chat/completions"), alice)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(chatBody("alice signed in")))));
        signedIn.forEach(call -> {
            HttpResponse<String> answer = call.get();
            assertThat(answer.statusCode()).as(answer.uri() + " " + answer.body()).isEqualTo(200);
        });

        try (BoundedLoad load = load("keycloak reachable")) {
            awaitLedgerGrows();

            load.phase("keycloak unreachable");
            stack.cutKeycloak();
            long cut = System.nanoTime();
            Map<Integer, Long> signedInStatuses = new TreeMap<>();
            int rounds = 0;
            while (System.nanoTime() - cut < KEYCLOAK_OUTAGE.toNanos()) {
                long round = System.nanoTime();
                for (Supplier<HttpResponse<String>> call : signedIn) {
                    signedInStatuses.merge(call.get().statusCode(), 1L, Long::sum);
                }
                rounds++;
                awaitElapsed(round, Duration.ofSeconds(2));
            }
            // What needs Keycloak itself answers a clear 503: admin's user list (Keycloak's admin API) and the
            // dashboard's sign-in relay (Keycloak's token endpoint).
            HttpResponse<String> users = send(bearer(stack.admin("/api/v1/users"), pat).GET());
            HttpResponse<String> signIn = send(dashboardRefresh());
            // A usage-service started during the outage has never fetched the realm's keys: 503, not 401 or 500.
            stack.stop(KeygateService.USAGE);
            stack.launch(KeygateService.USAGE);
            stack.awaitHealthy(KeygateService.USAGE);
            HttpResponse<String> cold = send(bearer(stack.usage(USAGE_READ), ana).GET());

            load.phase("keycloak back");
            stack.restoreKeycloak();
            long restored = System.nanoTime();
            String freshAna = token("ana");
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> send(bearer(stack.usage(USAGE_READ), freshAna).GET()).statusCode() == 200);
            long recoveredMs = (System.nanoTime() - restored) / 1_000_000;
            HttpResponse<String> usersAgain = send(bearer(stack.admin("/api/v1/users"), token("pat")).GET());
            HttpResponse<String> signInAgain = send(dashboardRefresh());
            load.close();
            keep(load, "keycloak");
            report.add(String.format("keycloak: unreachable for the services %d s (relay cut: connections refused "
                            + "and reset), spanning %d of admin's and usage's 10 s key-cache lifetimes; signed-in "
                            + "calls to admin, usage and proxy during it: %s; admin user list %d, dashboard sign-in "
                            + "relay %d, usage-service restarted during it answered %d; after Keycloak returned, "
                            + "usage-service verified tokens again after %d ms without a restart, user list %d, "
                            + "sign-in relay %d (Keycloak's own answer to a bogus refresh token)",
                    KEYCLOAK_OUTAGE.toSeconds(), KEYCLOAK_OUTAGE.toSeconds() / 10, signedInStatuses,
                    users.statusCode(), signIn.statusCode(), cold.statusCode(), recoveredMs, usersAgain.statusCode(),
                    signInAgain.statusCode()));

            assertThat(load.statuses("keycloak unreachable")).as("proxy-key calls").containsOnlyKeys(200);
            assertThat(signedInStatuses).as("calls with tokens issued before the outage")
                    .containsExactly(Map.entry(200, (long) rounds * signedIn.size()));
            assertThat(rounds).isGreaterThan(10);
            for (HttpResponse<String> refused : List.of(users, signIn, cold)) {
                assertThat(refused.statusCode()).as(refused.uri() + " " + refused.body()).isEqualTo(503);
                assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(
                        type -> assertThat(type).startsWith("application/problem+json"));
                assertThat(JSON.readTree(refused.body()).get("detail").asString()).contains("Keycloak");
            }
            assertThat(JSON.readTree(cold.body()).get("type").asString()).endsWith("/identity-provider-unreachable");
            assertThat(JSON.readTree(signIn.body()).get("type").asString())
                    .endsWith("/identity-provider-unreachable");
            assertThat(usersAgain.statusCode()).as(usersAgain.body()).isEqualTo(200);
            assertThat(signInAgain.statusCode()).as("Keycloak's refusal, relayed: " + signInAgain.body())
                    .isEqualTo(400);
            assertThat(JSON.readTree(signInAgain.body()).get("error").asString()).isEqualTo("invalid_grant");
        }
        afterTheFault("keycloak");
    }

    @Test
    @Order(6)
    void noSecretAppearsInAnyLogTopicTableAnswerOrSpool() throws Exception {
        assertThat(stack.provider().requests()).as("the canary key really was used for the calls")
                .anySatisfy(request -> assertThat(request.credential()).isEqualTo(canaryKey));
        scanner.scanFiles(Source.LOG, stack.logDirectory());
        scanner.scanFiles(Source.SPOOL, stack.spoolDirectory());
        long records = scanTopics();
        long rows = scanDatabases();
        report.add("secrets: canary provider key, a second user's provider key, every proxy key and access token "
                + "the suite used; " + records + " Kafka records, " + rows + " table rows searched:\n"
                + scanner.summary() + "  hits: " + scanner.hits().size());

        assertThat(scanner.itemsScanned(Source.LOG)).as("log files").isGreaterThanOrEqualTo(5);
        assertThat(scanner.itemsScanned(Source.RESPONSE)).as("answers").isGreaterThan(100);
        assertThat(records).isPositive();
        assertThat(rows).isPositive();
        assertThat(scanner.hits()).as("secrets found where they must not be").isEmpty();
    }

    /** The ledger equals the provider's figures exactly, no call hung, every service answers healthy. */
    private static void afterTheFault(String fault) throws Exception {
        Supplier<String> figures = () -> "ledger " + ledgerTotals() + " vs provider " + providerTotals();
        await().atMost(SETTLE).until(() -> ledgerTotals().equals(providerTotals()));
        assertThat(ledgerTotals()).as(figures.get()).isEqualTo(providerTotals());
        for (KeygateService service : KeygateService.values()) {
            await().atMost(SETTLE).until(() -> healthy(service));
        }
        assertThat(outcomes).as("calls that hung past the client timeout").noneMatch(Outcome::timedOut);
        report.add(String.format("after %s: ledger = provider = %s, events lost 0, double counted 0, every service "
                + "healthy", fault, ledgerTotals()));
    }

    private static BoundedLoad load(String phase) {
        return BoundedLoad.start(phase, stack.proxy("/api/proxy/openai/v1/chat/completions"), aliceProxyKey, CLIENTS, PACE,
                (where, answer) -> scanner.scan(Source.RESPONSE, where, answer));
    }

    private static void keep(BoundedLoad load, String fault) {
        List<Outcome> done = load.outcomes();
        outcomes.addAll(done);
        Map<String, Map<Integer, Long>> byPhase = new java.util.LinkedHashMap<>();
        done.forEach(outcome -> byPhase.computeIfAbsent(outcome.phase(), phase -> load.statuses(phase)));
        report.add(String.format("%s: %d calls, statuses by phase %s, timed out %d, longest %d ms", fault,
                done.size(), byPhase, done.stream().filter(Outcome::timedOut).count(),
                done.stream().mapToLong(Outcome::millis).max().orElse(0)));
    }

    /** Rows, input and output tokens of the whole ledger (this stack's usage database is the suite's alone). */
    private static List<Long> ledgerTotals() {
        try {
            Map<String, Object> row = RunningStack.rows(stack.wiring().usageDatabase(), "select count(*) as n, "
                    + "coalesce(sum(input_tokens), 0) as i, coalesce(sum(output_tokens), 0) as o from usage_event").get(0);
            return List.of(((Number) row.get("n")).longValue(), ((Number) row.get("i")).longValue(),
                    ((Number) row.get("o")).longValue());
        }
        catch (SQLException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** Waits until the load's calls reach the ledger again: the whole path works end to end. */
    private static void awaitLedgerGrows() {
        long from = ledgerRows();
        await().atMost(SETTLE).until(() -> ledgerRows() > from + 10);
    }

    private static long ledgerRows() {
        return ledgerTotals().get(0);
    }

    /** Calls the fake provider answered, and the input and output tokens it reported for them. */
    private static List<Long> providerTotals() {
        long calls = 0;
        long input = 0;
        long output = 0;
        for (FakeLlmProvider.RecordedRequest request : stack.provider().requests()) {
            if (request.path().equals("/v1/chat/completions")) {
                FakeLlmProvider.Usage usage = FakeLlmProvider.expectedUsage(request.bodyText());
                calls++;
                input += usage.inputTokens();
                output += usage.outputTokens();
            }
        }
        return List.of(calls, input, output);
    }

    private static long scanTopics() throws Exception {
        long records = 0;
        try (Admin kafka = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.wiring().kafkaBootstrap()))) {
            Set<String> topics = kafka.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
            assertThat(topics).contains(dev.keygate.contracts.Topics.USAGE_RECORDED);
            for (String topic : topics) {
                for (ConsumerRecord<byte[], byte[]> record : RunningStack.allRecords(stack.wiring().kafkaBootstrap(),
                        topic)) {
                    String where = topic + "[" + record.partition() + "]@" + record.offset();
                    scanner.scan(Source.TOPIC, where + " key", record.key());
                    scanner.scan(Source.TOPIC, where + " value", record.value());
                    for (Header header : record.headers()) {
                        scanner.scan(Source.TOPIC, where + " header " + header.key(), header.value());
                    }
                    records++;
                }
            }
        }
        return records;
    }

    /** Every row of every table of the three databases, all columns but keyvault's sealed key material. */
    private static long scanDatabases() throws SQLException {
        long rows = 0;
        for (ServiceDatabase database : List.of(stack.wiring().keyvaultDatabase(), stack.wiring().adminDatabase(),
                stack.wiring().usageDatabase())) {
            for (Map<String, Object> table : RunningStack.rows(database, "select table_schema, table_name from "
                    + "information_schema.tables where table_schema not in ('pg_catalog', 'information_schema')")) {
                String name = table.get("table_schema") + "." + table.get("table_name");
                for (Map<String, Object> row : RunningStack.rows(database, "select * from " + name)) {
                    if (database == stack.wiring().keyvaultDatabase() && name.equals("public.stored_key")) {
                        row.remove("ciphertext");
                    }
                    scanner.scan(Source.DATABASE, database.name() + "." + name, row.toString());
                    rows++;
                }
            }
        }
        return rows;
    }

    private static boolean healthy(KeygateService service) {
        try {
            return HTTP.send(HttpRequest.newBuilder(stack.health(service)).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        }
        catch (IOException ex) {
            return false;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The sum of every sample of {@code metric} in the proxy's Prometheus scrape. */
    private static double proxyMetric(String metric) {
        return send(HttpRequest.newBuilder(stack.prometheus(KeygateService.PROXY)).GET()).body().lines()
                .filter(line -> line.startsWith(metric + " ") || line.startsWith(metric + "{"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }

    /** Waits, without a sleep, until {@code duration} has passed since {@code since}. */
    private static void awaitElapsed(long since, Duration duration) {
        await().atMost(duration.plusSeconds(5)).pollInterval(Duration.ofMillis(200))
                .until(() -> System.nanoTime() - since >= duration.toNanos());
    }

    /** A password-grant access token; its signature is searched for in logs, topics, tables and the spool. */
    private static String token(String user) {
        String token = stack.keycloak().passwordGrant(user);
        scanner.secret("access token of " + user, token.substring(token.lastIndexOf('.') + 1), NOWHERE);
        return token;
    }

    private static HttpRequest.Builder adminJson(String method, String path, String accessToken, String json) {
        return HttpRequest.newBuilder(stack.admin(path))
                .header("Authorization", "Bearer " + accessToken)
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(json));
    }

    private static void storeProviderKey(String accessToken, String apiKey) {
        HttpResponse<String> stored = send(adminJson("PUT", "/api/v1/me/provider-keys/openai", accessToken,
                "{\"api_key\":\"" + apiKey + "\"}"));
        assertThat(stored.statusCode()).as(stored.body()).isEqualTo(200);
    }

    /** A new proxy key of the signed-in user; its secret part is searched for everywhere but the issuing answer. */
    private static String createProxyKey(String accessToken, String name) {
        String key = createProxyKeyOrNull(accessToken, name);
        assertThat(key).as("proxy key '" + name + "' created").isNotNull();
        return key;
    }

    /** As {@link #createProxyKey}, or null when admin-service refused (the refusal is scanned as an answer). */
    private static String createProxyKeyOrNull(String accessToken, String name) {
        HttpResponse<String> created = sendUnscanned(adminJson("POST", "/api/v1/proxy-keys", accessToken,
                "{\"name\":\"" + name + "\"}"));
        if (created.statusCode() != 201) {
            scanner.scan(Source.RESPONSE, "POST /api/v1/proxy-keys", created.headers().map() + "\n" + created.body());
            log.info("admin-service refused a new proxy key with {}: {}", created.statusCode(), created.body());
            return null;
        }
        String key = JSON.readTree(created.body()).get("key").asString();
        scanner.secret("proxy key '" + name + "'", key.substring(3, key.length() - 4), NOWHERE_BUT_ITS_ISSUING_ANSWER);
        scanner.scan(Source.RESPONSE, "POST /api/v1/proxy-keys", created.headers().map() + "\n" + created.body());
        return key;
    }

    private static void awaitProxyAccepts(String proxyKey) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> send(HttpRequest.newBuilder(stack.proxy("/api/rate-limit-status"))
                        .header("Authorization", "Bearer " + proxyKey).GET()).statusCode() == 200);
    }

    private static HttpRequest.Builder bearer(URI uri, String accessToken) {
        return HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + accessToken);
    }

    /** A sign-in step through the dashboard's relay to Keycloak's token endpoint, with a refresh token Keycloak refuses. */
    private static HttpRequest.Builder dashboardRefresh() {
        return HttpRequest.newBuilder(stack.usage("/dashboard/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "grant_type=refresh_token&client_id=keygate-frontend&refresh_token=not-a-refresh-token"));
    }

    private static String chatBody(String text) {
        return "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }

    /** Sends with the client timeout, and hands the answer (headers and body) to the leak scan. */
    private static HttpResponse<String> send(HttpRequest.Builder request) {
        HttpResponse<String> response = sendUnscanned(request);
        scanner.scan(Source.RESPONSE, response.request().method() + " " + response.uri().getPath(),
                response.headers().map() + "\n" + response.body());
        return response;
    }

    private static HttpResponse<String> sendUnscanned(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(BoundedLoad.REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    private static String withoutLast4(String key) {
        return key.substring(0, key.length() - 4);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
