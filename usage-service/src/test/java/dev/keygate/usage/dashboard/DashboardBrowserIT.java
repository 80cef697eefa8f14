package dev.keygate.usage.dashboard;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ModelPriced;
import dev.keygate.contracts.usage.v1.TokenUsage;
import dev.keygate.contracts.usage.v1.UsageRecorded;
import dev.keygate.testkit.TestKafka;
import dev.keygate.testkit.TestKeycloak;
import dev.keygate.usage.LedgerContext;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.FileSystemUtils;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The dashboard in real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}), signed in as the
 * analyst ana through the real Keycloak login form (authorization code + PKCE), against usage-service on a real port
 * with the real Kafka and PostgreSQL: the numbers it renders must be the ones the ledger holds.
 * <p>
 * It shares the database {@code usage} with {@link LedgerContext} on purpose: both contexts consume the usage topic in
 * one consumer group, so whichever receives an event stores it in the same ledger.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class DashboardBrowserIT {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    @Autowired
    JdbcTemplate jdbc;

    private ChromeDriverService driverService;
    private WebDriver browser;
    private Path profile;

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) {
        LedgerContext.ledgerServers(registry);
        registry.add("spring.security.oauth2.resourceserver.jwt.issuer-uri", () -> TestKeycloak.shared().issuerUri());
    }

    @BeforeEach
    void openBrowser() throws IOException {
        assertThat(CHROMIUM).as("Debian's chromium; install with: apt-get install -y chromium chromium-driver")
                .isExecutable();
        assertThat(CHROMEDRIVER).as("Debian's chromium-driver; install with: apt-get install -y chromium-driver")
                .isExecutable();
        profile = Files.createTempDirectory("keygate-dashboard-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1000", "--user-data-dir=" + profile);
        driverService = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(driverService, options);
    }

    @AfterEach
    void closeBrowser() throws IOException {
        if (browser != null) {
            browser.quit();
        }
        if (driverService != null) {
            driverService.stop();
        }
        if (profile != null) {
            FileSystemUtils.deleteRecursively(profile);
        }
    }

    @Test
    void anAnalystSignsInThroughKeycloakAndSeesTheLedgersNumbers() throws Exception {
        // A day of its own, years before any other test's acme traffic.
        LocalDate day = LocalDate.of(2015, 1, 1).plusDays(ThreadLocalRandom.current().nextInt(0, 1500));
        Instant start = day.atStartOfDay(ZoneOffset.UTC).toInstant();
        publishUsage(start);
        // A soft monthly budget for the whole of acme: the budgets table and burn-down show it against its spend.
        jdbc.update("insert into budget_limit values ('acme', 'tenant', '*', ?, 'month', 100, null, false)",
                "browser-" + UUID.randomUUID());
        // And one for acme's pro licenses together.
        jdbc.update("insert into budget_limit values ('acme', 'tier', 'pro', ?, 'month', 5000, null, false)",
                "browser-" + UUID.randomUUID());

        browser.get("http://127.0.0.1:" + port + "/dashboard/");
        WebDriverWait wait = new WebDriverWait(browser, PATIENCE);
        wait.until(ExpectedConditions.elementToBeClickable(By.id("sign-in"))).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("username"))).sendKeys("ana");
        browser.findElement(By.id("password")).sendKeys(TestKeycloak.shared().demoPassword());
        browser.findElement(By.id("kc-login")).click();
        wait.until(ExpectedConditions.attributeToBe(By.id("status"), "data-state", "ready"));
        assertThat(browser.findElement(By.id("signed-in-as")).getText()).isEqualTo("ana · acme");

        ((JavascriptExecutor) browser).executeScript("document.getElementById('from').value = arguments[0];"
                + "document.getElementById('to').value = arguments[0];", day.toString());
        browser.findElement(By.id("apply")).click();
        String showing = "Showing " + day + " to " + day + " (UTC)";
        wait.until(ExpectedConditions.textToBe(By.id("status"), showing));

        Map<String, Object> ledger = jdbc.queryForMap("""
                select count(*) as requests, coalesce(sum(input_tokens + output_tokens), 0) as tokens,
                    coalesce(sum(cost_usd), 0) as cost
                from usage_event where tenant_id = 'acme' and occurred_at >= ? and occurred_at < ?""",
                start.atOffset(ZoneOffset.UTC), start.plus(Duration.ofDays(1)).atOffset(ZoneOffset.UTC));
        assertThat(((Number) ledger.get("requests")).longValue()).as("the events published for that day")
                .isGreaterThanOrEqualTo(4);
        assertThat(text("total-cost")).isEqualTo(usd((BigDecimal) ledger.get("cost")));
        assertThat(text("total-tokens")).isEqualTo(count(((Number) ledger.get("tokens")).longValue()));
        assertThat(text("total-requests")).isEqualTo(count(((Number) ledger.get("requests")).longValue()));

        List<String> ledgerModels = jdbc.query("""
                select provider, model, count(*) as requests, sum(input_tokens + output_tokens) as tokens,
                    count(*) filter (where status >= 400) as errors, coalesce(sum(cost_usd), 0) as cost
                from usage_event where tenant_id = 'acme' and occurred_at >= ? and occurred_at < ?
                group by provider, model order by provider, model""",
                (row, n) -> String.join(" | ", row.getString("provider"), row.getString("model"),
                        count(row.getLong("requests")), count(row.getLong("tokens")), count(row.getLong("errors")),
                        usd(row.getBigDecimal("cost"))),
                start.atOffset(ZoneOffset.UTC), start.plus(Duration.ofDays(1)).atOffset(ZoneOffset.UTC));
        assertThat(renderedRows("by-model")).isEqualTo(ledgerModels)
                .contains("anthropic | dash-b | 2 | 163,023 | 0 | 2.13701");
        assertThat(renderedRows("by-tier")).isEqualTo(ledgerTiers(start, null))
                .contains("(no tier) | 1 | 13,023 | 0 | 0.13701", "free | 1 | 0 | 1 | 0.00",
                        "pro | 2 | 1,900,000 | 0 | 6.00");

        new Select(browser.findElement(By.id("model"))).selectByValue("dash-b");
        browser.findElement(By.id("apply")).click();
        wait.until(ExpectedConditions.textToBe(By.id("status"), showing + ", model dash-b"));
        BigDecimal dashB = jdbc.queryForObject("""
                select coalesce(sum(cost_usd), 0) from usage_event
                where tenant_id = 'acme' and model = 'dash-b' and occurred_at >= ? and occurred_at < ?""",
                BigDecimal.class, start.atOffset(ZoneOffset.UTC),
                start.plus(Duration.ofDays(1)).atOffset(ZoneOffset.UTC));
        assertThat(text("total-cost")).isEqualTo(usd(dashB));
        assertThat(renderedRows("by-model")).hasSize(1);
        assertThat(browser.findElements(By.cssSelector("#cost-chart svg rect"))).hasSize(1);
        assertThat(renderedRows("by-tier")).isEqualTo(ledgerTiers(start, "dash-b"))
                .contains("(no tier) | 1 | 13,023 | 0 | 0.13701", "pro | 1 | 150,000 | 0 | 2.00")
                .noneMatch(row -> row.startsWith("free"));

        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        BigDecimal spent = jdbc.query("select cost_usd from budget_spend where tenant_id = 'acme' and scope = 'tenant' "
                        + "and period = 'month' and period_start = ?", (row, n) -> row.getBigDecimal(1),
                today.withDayOfMonth(1).atStartOfDay().atOffset(ZoneOffset.UTC)).stream().findFirst()
                .orElse(BigDecimal.ZERO);
        String used = spent.divide(new BigDecimal("100"), 4, RoundingMode.HALF_UP).movePointRight(2)
                .setScale(2, RoundingMode.HALF_UP).toPlainString() + " %";
        assertThat(renderedRows("budget-table")).anySatisfy(row -> assertThat(row)
                .startsWith("Organisation (soft) | month | 100.00 USD | " + usd(spent) + " USD | " + used));
        BigDecimal proSpent = jdbc.query("select cost_usd from budget_spend where tenant_id = 'acme' and scope = 'tier' "
                        + "and subject = 'pro' and period = 'month' and period_start = ?", (row, n) -> row.getBigDecimal(1),
                today.withDayOfMonth(1).atStartOfDay().atOffset(ZoneOffset.UTC)).stream().findFirst()
                .orElse(BigDecimal.ZERO);
        assertThat(renderedRows("budget-table")).anySatisfy(row -> assertThat(row)
                .startsWith("License tier pro (soft) | month | 5,000.00 USD | " + usd(proSpent) + " USD | "));
        assertThat(browser.findElements(By.cssSelector("#burn-down svg rect"))).as("one bar per day so far")
                .hasSize(today.getDayOfMonth());
    }

    /**
     * The "By license tier" table as the ledger's raw events give it for the day (and model, when not null): tier
     * order, calls without a tier first as "(no tier)".
     */
    private List<String> ledgerTiers(Instant day, String model) {
        return jdbc.query("""
                select coalesce(tier, '') as tier, count(*) as requests, sum(input_tokens + output_tokens) as tokens,
                    count(*) filter (where status >= 400) as errors, coalesce(sum(cost_usd), 0) as cost
                from usage_event where tenant_id = 'acme' and occurred_at >= ? and occurred_at < ?
                    and coalesce(model, '') like ?
                group by 1 order by 1""",
                (row, n) -> String.join(" | ", row.getString("tier").isEmpty() ? "(no tier)" : row.getString("tier"),
                        count(row.getLong("requests")), count(row.getLong("tokens")), count(row.getLong("errors")),
                        usd(row.getBigDecimal("cost"))),
                day.atOffset(ZoneOffset.UTC), day.plus(Duration.ofDays(1)).atOffset(ZoneOffset.UTC), model == null ? "%" : model);
    }

    /**
     * dash-a costs $2 / $4 and dash-b $10 / $20 per million input / output tokens (acme's own prices), so the day
     * costs 4 + 0 + 2 + 0.13701 = $6.13701: $6 of alice's pro license, $0.13701 of ana without a tier, and bob's
     * failed call of a free license.
     */
    private void publishUsage(Instant day) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
            for (ModelPriced price : List.of(price("openai", "dash-a", "2", "4"), price("anthropic", "dash-b", "10", "20"))) {
                producer.send(new ProducerRecord<>(Topics.ADMIN_MODEL_PRICES, price.priceId().toString(),
                        JSON.writeValueAsString(price))).get();
                await().atMost(PATIENCE).until(() -> jdbc.queryForObject(
                        "select count(*) from model_price where id = ?", Integer.class, price.priceId()) == 1);
            }
            List<UsageRecorded> events = List.of(
                    event(day.plusSeconds(9 * 3600 + 600), "alice", "k-dash-1", "pro", "openai", "dash-a", 200,
                            1_500_000, 250_000),
                    event(day.plusSeconds(9 * 3600 + 2400), "bob", "k-dash-2", "free", "openai", "dash-a", 500, 0, 0),
                    event(day.plusSeconds(15 * 3600), "alice", "k-dash-1", "pro", "anthropic", "dash-b", 200, 100_000,
                            50_000),
                    event(day.plusSeconds(86_399), "ana", null, null, "anthropic", "dash-b", 200, 12_345, 678));
            for (UsageRecorded event : events) {
                producer.send(new ProducerRecord<>(Topics.USAGE_RECORDED, event.subjectKey(),
                        JSON.writeValueAsString(event))).get();
            }
            for (UsageRecorded event : events) {
                await().atMost(PATIENCE).until(() -> jdbc.queryForObject(
                        "select count(*) from usage_event where event_id = ?", Integer.class, event.eventId()) == 1);
            }
        }
    }

    private static ModelPriced price(String provider, String model, String input, String output) {
        return new ModelPriced(UUID.randomUUID(), null, 0, Instant.now(), UUID.randomUUID(), "acme", provider, model,
                Instant.parse("2014-01-01T00:00:00Z"), null, new BigDecimal(input), new BigDecimal(output), null, null);
    }

    private static UsageRecorded event(Instant at, String user, String key, String tier, String provider, String model,
                                       int status, long input, long output) {
        return new UsageRecorded(UUID.randomUUID(), UsageRecorded.TYPE, UsageRecorded.VERSION, at, "eu-west-1", "acme",
                user, key == null ? "user_token" : "proxy_key", key, provider, model, "chat.completions", false, status,
                new TokenUsage(input, output, 0, 0, 0), 300, 50L, null, null, tier);
    }

    private String text(String id) {
        return browser.findElement(By.id(id)).getText();
    }

    private List<String> renderedRows(String table) {
        List<String> rows = new ArrayList<>();
        for (WebElement row : browser.findElements(By.cssSelector("#" + table + " tbody tr"))) {
            List<String> cells = new ArrayList<>();
            row.findElements(By.tagName("td")).forEach(cell -> cells.add(cell.getText()));
            rows.add(String.join(" | ", cells));
        }
        return rows;
    }

    /** The dashboard's number format: en-US grouping. */
    private static String count(long value) {
        return String.format(Locale.US, "%,d", value);
    }

    /** The dashboard's money format: en-US grouping, two to six decimals. */
    private static String usd(BigDecimal value) {
        DecimalFormat format = new DecimalFormat("#,##0.00####", DecimalFormatSymbols.getInstance(Locale.US));
        format.setRoundingMode(RoundingMode.HALF_UP);
        return format.format(value);
    }
}
