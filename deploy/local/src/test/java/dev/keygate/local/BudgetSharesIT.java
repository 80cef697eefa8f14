package dev.keygate.local;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import dev.keygate.testkit.FakeLlmProvider;
import dev.keygate.testkit.ServiceDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One hard budget, two proxy instances in two regions, concurrent load through both: the ledger's spend never passes
 * the budget (the bound of docs/quotas.md is 0 for calls that set {@code max_tokens}), callers past it get OpenAI's
 * {@code insufficient_quota}, and the ledger's tokens are exactly what the fake provider reported, for JSON and
 * streamed calls alike. Without reservations (budgets enforced only once usage-service sees them exhausted, a
 * second or more later) this load passes such a budget several times over.
 */
class BudgetSharesIT {

    private static final Logger log = LoggerFactory.getLogger(BudgetSharesIT.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final long LIMIT = 6_000;
    private static final int THREADS_PER_PROXY = 4;
    private static final Duration LOAD_FOR_AT_MOST = Duration.ofSeconds(120);
    private static final Duration REFUSED_FOR = Duration.ofSeconds(5);
    private static final String OPENAI_KEY = "sk-proj-budget-" + RunningStack.random(28);

    private static RunningStack stack;
    private static ServiceProcess usEast;
    private static String proxyKey;
    private static String keyId;

    @BeforeAll
    static void aSecondProxyInAnotherRegionAndAKeyWithAHardDailyTokenBudget() {
        stack = RunningStack.get();
        usEast = stack.startAnotherProxy("us-east-1");
        String bob = stack.token("bob");
        stack.storeProviderKey(bob, "openai", OPENAI_KEY);
        JsonNode created = stack.createProxyKey(bob, "budget shares");
        proxyKey = created.get("key").asString();
        keyId = created.get("id").asString();
        HttpResponse<String> policy = RunningStack.send(HttpRequest.newBuilder(stack.admin("/api/v1/quota-policies"))
                .header("Authorization", "Bearer " + stack.token("gwen")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"scope\":\"proxy-key\",\"subject\":\"" + keyId
                        + "\",\"tokens_per_day\":" + LIMIT + ",\"enforcement\":\"hard\"}")));
        assertThat(policy.statusCode()).as(policy.body()).isEqualTo(201);
        for (URI status : List.of(stack.proxy("/api/rate-limit-status"), stack.proxy(usEast, "/api/rate-limit-status"))) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                    .until(() -> RunningStack.send(HttpRequest.newBuilder(status)
                            .header("Authorization", "Bearer " + proxyKey).GET()).statusCode() == 200);
        }
    }

    @AfterAll
    static void stopTheSecondProxy() {
        if (usEast != null) {
            usEast.stop();
        }
    }

    @Test
    void concurrentCallsThroughTwoRegionsNeverSpendMoreThanTheBudgetAndTheLedgerMatchesTheProvider() throws Exception {
        ServiceDatabase usage = stack.wiring().usageDatabase();
        String grants = "select count(distinct region) from budget_grant where budget_key like '%/proxy-key/" + keyId
                + "/%'";
        List<URI> proxies = List.of(stack.proxy("/api/proxy/openai/v1/chat/completions"),
                stack.proxy(usEast, "/api/proxy/openai/v1/chat/completions"));
        // Until both instances hold a share, they have not yet learnt of the budget; their calls still count.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            proxies.forEach(proxy -> call(proxy, 0, false));
            return RunningStack.count(usage, grants) == 2;
        });

        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        List<String> refusals = new CopyOnWriteArrayList<>();
        long deadline = System.nanoTime() + LOAD_FOR_AT_MOST.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(2 * THREADS_PER_PROXY);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 2 * THREADS_PER_PROXY; t++) {
            URI proxy = proxies.get(t % 2);
            int worker = t;
            workers.add(pool.submit(() -> {
                // A caller gives up once refused for REFUSED_FOR without a success in between: by then shares the
                // other instance held but stopped using have gone back (after 2 s idle) and were offered again.
                long refusedSince = 0;
                for (int i = 0; System.nanoTime() < deadline; i++) {
                    HttpResponse<String> answer = call(proxy, worker * 1000 + i, i % 3 == 0);
                    statuses.computeIfAbsent(answer.statusCode(), status -> new AtomicInteger()).incrementAndGet();
                    if (answer.statusCode() == 429) {
                        refusals.add(answer.body());
                        refusedSince = refusedSince == 0 ? System.nanoTime() : refusedSince;
                        if (System.nanoTime() - refusedSince > REFUSED_FOR.toNanos()) {
                            return;
                        }
                        sleep(200);
                    }
                    else {
                        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                        refusedSince = 0;
                    }
                }
            }));
        }
        for (Future<?> worker : workers) {
            worker.get();
        }
        pool.shutdown();

        List<FakeLlmProvider.RecordedRequest> served = stack.provider().requests().stream()
                .filter(request -> OPENAI_KEY.equals(request.credential())).toList();
        long providerTokens = served.stream().map(request -> FakeLlmProvider.expectedUsage(request.bodyText()))
                .mapToLong(used -> used.inputTokens() + used.outputTokens()).sum();
        String own = "from usage_event where proxy_key_id = '" + keyId + "'";
        await().atMost(Duration.ofSeconds(30)).until(() -> RunningStack.count(usage, "select count(*) " + own)
                == served.size());
        long ledgerTokens = RunningStack.count(usage, "select coalesce(sum(input_tokens + output_tokens), 0) " + own);
        log.info("Budget {} tokens, two instances × {} threads: statuses {}, {} calls served, ledger {} tokens; "
                        + "refusals such as {}", LIMIT, THREADS_PER_PROXY, statuses, served.size(), ledgerTokens,
                refusals.stream().map(body -> JSON.readTree(body).get("detail").asString()).distinct().limit(3).toList());

        assertThat(ledgerTokens).as("the ledger holds what the provider reported").isEqualTo(providerTokens);
        assertThat(ledgerTokens).as("never more than the budget").isLessThanOrEqualTo(LIMIT);
        // The calls' worst case is about 200 tokens (body bytes + max_tokens 64); what is left below that, or held by
        // a call in flight when the others gave up, is all that may stay unspent.
        assertThat(ledgerTokens).as("the budget was spent, not merely held").isGreaterThan(LIMIT - 2_000);
        assertThat(refusals).isNotEmpty().allSatisfy(body -> {
            JsonNode error = JSON.readTree(body).get("error");
            assertThat(error.get("code").asString()).isEqualTo("insufficient_quota");
            assertThat(error.get("message").asString()).contains("This proxy key's daily budget");
        });
        assertThat(RunningStack.count(usage, "select count(distinct region) " + own)).as("both regions").isEqualTo(2);
        assertThat(RunningStack.count(usage, "select count(*) " + own + " and streamed")).isPositive();
    }

    private static HttpResponse<String> call(URI proxy, int n, boolean stream) {
        String body = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":64,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"budget call number " + n + " please\"}]}";
        return RunningStack.send(HttpRequest.newBuilder(proxy).header("Authorization", "Bearer " + proxyKey)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
