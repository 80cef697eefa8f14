package dev.keygate.admin.license;

import dev.keygate.admin.AdminTestServers;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ProxyKeyEvent;
import dev.keygate.contracts.admin.v1.ProxyKeyIssued;
import dev.keygate.contracts.admin.v1.ProxyKeyRevoked;
import dev.keygate.testkit.TopicRecorder;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.JwtRequestPostProcessor;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.MockMvc;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.jwt;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * Licenses and activation over real HTTP, with seed 001's own Python and TypeScript clients (copied verbatim into
 * {@code src/test/resources/seed001}) decrypting their proxy keys, and the keys reaching Kafka through the real
 * outbox (PostgreSQL's write-ahead log, Debezium embedded). Admin calls use spring-security-test {@code jwt()}.
 *
 * <p>This context has its own database, replication slot and relay offsets, so it and {@code ProxyKeyOutboxIT}'s
 * context can both stay cached in one JVM without two relays fighting over one slot.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureMockMvc
class LicenseActivationIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration PROCESS_TIMEOUT = Duration.ofMinutes(3);

    @LocalServerPort
    int port;

    @Autowired
    MockMvc mvc;

    @Autowired
    JdbcTemplate jdbc;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private TopicRecorder topic;

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) {
        AdminTestServers.register(registry, "admin_license_it");
        registry.add("keygate.outbox.slot-name", () -> "keygate_admin_license_it");
        registry.add("keygate.outbox.offset-topic", () -> "keygate.admin.outbox-offsets.license-it");
    }

    @BeforeEach
    void subscribe() {
        topic = TopicRecorder.subscribe(Topics.ADMIN_PROXY_KEYS);
    }

    @AfterEach
    void close() {
        topic.close();
    }

    @Test
    void seedPythonClientActivatesAndDecryptsTheProxyKeyTheProxyLearnsOf() throws Exception {
        String python = pythonWithSeedDependencies();
        IssuedLicense license = createLicense("{\"tier\":\"pro\",\"name\":\"Acme desktop\",\"providers\":[\"openai\"]}");
        String hardwareId = "hw-python-" + UUID.randomUUID();

        String key = run(seedClients(), python, "activate.py", baseUrl(), license.key(), hardwareId);

        assertThat(key).startsWith("px_").hasSize(46);
        ProxyKeyIssued issued = assertIssuedFor(license, hardwareId, key);
        assertThat(issued.providers()).containsExactly("openai");
    }

    @Test
    void seedTypeScriptClientActivatesAndDecryptsTheProxyKeyTheProxyLearnsOf() throws Exception {
        Path clients = seedClientsWithTypeScript();
        IssuedLicense license = createLicense("{\"tier\":\"pro\"}");
        String hardwareId = "hw-typescript-" + UUID.randomUUID();

        String key = run(clients, "node", "activate.mjs", baseUrl(), license.key(), hardwareId);

        assertThat(key).startsWith("px_").hasSize(46);
        assertIssuedFor(license, hardwareId, key);
    }

    @Test
    void activationAnswersExactlyTheSeedShape() throws Exception {
        IssuedLicense license = createLicense("{\"tier\":\"free\"}");

        HttpResponse<String> response = activateLegacy(license.key(), "hw-shape");
        assertThat(awaitRecord(deviceKeyId(license, "hw-shape"), "\"licenseTier\":\"free\"")).isNotNull();

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.propertyNames()).containsExactly("success", "encrypted_api_key", "iv");
        assertThat(body.get("success").asBoolean()).isTrue();
        assertThat(Base64.getDecoder().decode(body.get("iv").asString())).hasSize(16);
        assertThat(seedPythonDecryption(body, license.key())).startsWith("px_");
    }

    @Test
    void reactivatingADeviceReplacesItsKeyWithoutTakingASecondSlot() throws Exception {
        IssuedLicense license = createLicense("{\"tier\":\"pro\",\"max_activations\":1}");

        String first = seedPythonDecryption(JSON.readTree(activateLegacy(license.key(), "hw-laptop").body()),
                license.key());
        UUID firstKeyId = deviceKeyId(license, "hw-laptop");
        String second = seedPythonDecryption(JSON.readTree(activateLegacy(license.key(), "hw-laptop").body()),
                license.key());

        assertThat(second).startsWith("px_").isNotEqualTo(first);
        assertThat(assertIssuedFor(license, "hw-laptop", second).licenseTier()).isEqualTo("pro");
        ProxyKeyRevoked revoked = (ProxyKeyRevoked) JSON.readValue(awaitRecord(firstKeyId, ProxyKeyRevoked.TYPE).value(),
                ProxyKeyEvent.class);
        assertThat(revoked.keyHash()).isEqualTo(LicenseKeys.sha256(first));
        JsonNode read = readLicense(license.id());
        assertThat(read.get("active_devices").asLong()).isEqualTo(1);
        assertThat(read.get("devices")).hasSize(1);
    }

    @Test
    void exceedingMaxActivationsIsAConflictThatNamesTheFix() throws Exception {
        IssuedLicense license = createLicense("{\"tier\":\"pro\",\"max_activations\":1}");
        assertThat(activateLegacy(license.key(), "hw-one").statusCode()).isEqualTo(200);

        HttpResponse<String> refused = activateLegacy(license.key(), "hw-two");

        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        JsonNode problem = JSON.readTree(refused.body());
        assertThat(problem.get("type").asString()).isEqualTo("https://keygate.dev/problems/activation-limit");
        assertThat(problem.get("success").asBoolean()).isFalse();
        assertThat(problem.get("error").asString()).contains("1 of 1 devices", "deactivate");
        assertThat(problem.get("detail").asString()).isEqualTo(problem.get("error").asString());

        UUID device = UUID.fromString(readLicense(license.id()).get("devices").get(0).get("id").asString());
        mvc.perform(delete("/api/v1/licenses/" + license.id() + "/devices/" + device).with(platformAdmin("acme")))
                .andExpect(status().isOk());
        assertThat(activateLegacy(license.key(), "hw-two").statusCode()).isEqualTo(200);
    }

    @Test
    void unknownRevokedAndExpiredLicensesAreRefused() throws Exception {
        HttpResponse<String> unknown = activateLegacy("LIC-0000000000000000000000000000", "hw-1");
        assertThat(unknown.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(unknown.body()).get("success").asBoolean()).isFalse();

        IssuedLicense revokedLicense = createLicense("{\"tier\":\"free\"}");
        assertThat(activateLegacy(revokedLicense.key(), "hw-1").statusCode()).isEqualTo(200);
        UUID deviceKey = deviceKeyId(revokedLicense, "hw-1");
        mvc.perform(delete("/api/v1/licenses/" + revokedLicense.id()).with(platformAdmin("acme")))
                .andExpect(status().isOk());
        HttpResponse<String> revoked = activateLegacy(revokedLicense.key(), "hw-1");
        assertThat(revoked.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(revoked.body()).get("type").asString()).endsWith("/license-revoked");
        awaitRecord(deviceKey, ProxyKeyRevoked.TYPE);

        IssuedLicense expiring = createLicense("{\"tier\":\"free\",\"expires_at\":\"" + Instant.now().plusSeconds(3600) + "\"}");
        jdbc.update("update license set expires_at = now() - interval '1 second' where id = ?", expiring.id());
        HttpResponse<String> expired = activateLegacy(expiring.key(), "hw-1");
        assertThat(expired.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(expired.body()).get("type").asString()).endsWith("/license-expired");
    }

    @Test
    void malformedActivationsAreBadRequestsInTheSeedShape() throws Exception {
        HttpResponse<String> missing = postJson("/activate", "{\"license_key\":\"LIC-x\"}");
        HttpResponse<String> unreadable = postJson("/activate", "{not json");

        for (HttpResponse<String> response : List.of(missing, unreadable)) {
            assertThat(response.statusCode()).isEqualTo(400);
            JsonNode problem = JSON.readTree(response.body());
            assertThat(problem.get("success").asBoolean()).isFalse();
            assertThat(problem.get("error").asString()).contains("license_key");
        }
    }

    @Test
    void sealedActivationV2OpensForThePythonAndNodeReferenceClients() throws Exception {
        String python = pythonWithSeedDependencies();
        assumeTrue(nodeAvailable(), "Node.js 18+ is needed to run the v2 reference client; install nodejs");
        IssuedLicense license = createLicense("{\"tier\":\"enterprise\"}");
        Path clients = resourceDirectory("activation-v2");

        String x25519 = run(clients, python, "client.py", baseUrl(), license.key(), "hw-v2-python");
        String p256 = run(clients, "node", "client.mjs", baseUrl(), license.key(), "hw-v2-node");

        assertIssuedFor(license, "hw-v2-python", x25519);
        assertIssuedFor(license, "hw-v2-node", p256);
        assertThat(jdbc.queryForList("select scheme from license_activation where license_id = ?", String.class,
                license.id())).containsOnly("sealed");
    }

    @Test
    void sealedActivationRefusesABadPublicKeyBeforeIssuingAnything() throws Exception {
        IssuedLicense license = createLicense("{\"tier\":\"pro\"}");

        HttpResponse<String> response = postJson("/api/v1/activations", "{\"license_key\":\"" + license.key()
                + "\",\"hardware_id\":\"hw-1\",\"public_key\":\"" + Base64.getEncoder().encodeToString(new byte[32])
                + "\"}");

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode problem = JSON.readTree(response.body());
        assertThat(problem.get("detail").asString()).contains("X25519 or P-256");
        assertThat(problem.has("success")).isFalse();
        assertThat(jdbc.queryForObject("select count(*) from license_activation where license_id = ?", Integer.class,
                license.id())).isZero();
    }

    @Test
    void licensesBelongToPlatformAdminsOfOneTenant() throws Exception {
        IssuedLicense license = createLicense("{\"tier\":\"enterprise\"}");

        JsonNode read = readLicense(license.id());
        assertThat(read.has("license_key")).isFalse();
        assertThat(read.get("hint").asString()).isEqualTo(license.key().substring(license.key().length() - 4));
        assertThat(read.has("max_activations")).isFalse();
        assertThat(jdbc.queryForList("select * from license").toString()).doesNotContain(license.key());

        mvc.perform(get("/api/v1/licenses/" + license.id()).with(platformAdmin("globex")))
                .andExpect(status().isNotFound());
        String others = mvc.perform(get("/api/v1/licenses").with(platformAdmin("globex")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        assertThat(others).doesNotContain(license.id().toString());
        mvc.perform(post("/api/v1/licenses").with(developer("acme"))
                        .contentType(MediaType.APPLICATION_JSON).content("{\"tier\":\"pro\"}"))
                .andExpect(status().isForbidden());
        mvc.perform(get("/api/v1/licenses")).andExpect(status().isUnauthorized());
        mvc.perform(post("/api/v1/licenses").with(platformAdmin("acme"))
                        .contentType(MediaType.APPLICATION_JSON).content("{\"tier\":\"platinum\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(result -> assertThat(result.getResponse().getContentAsString()).contains("'pro'"));
    }

    @Test
    void tiersGiveTheirDefaultLimits() throws Exception {
        JsonNode pro = JSON.readTree(mvc.perform(post("/api/v1/licenses").with(platformAdmin("acme"))
                        .contentType(MediaType.APPLICATION_JSON).content("{\"tier\":\"pro\"}"))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString());

        assertThat(pro.get("license_key").asString()).matches("LIC-[0-9A-Z]{28}");
        assertThat(pro.get("daily_request_limit").asInt()).isEqualTo(1000);
        assertThat(pro.get("max_activations").asInt()).isEqualTo(3);
        assertThat(pro.get("active_devices").asInt()).isZero();
    }

    private ProxyKeyIssued assertIssuedFor(IssuedLicense license, String hardwareId, String key) throws Exception {
        UUID keyId = deviceKeyId(license, hardwareId);
        assertThat(jdbc.queryForObject("select key_hash from proxy_key where id = ?", String.class, keyId))
                .isEqualTo(LicenseKeys.sha256(key));
        ConsumerRecord<String, String> record = awaitRecord(keyId, ProxyKeyIssued.TYPE);
        ProxyKeyIssued issued = (ProxyKeyIssued) JSON.readValue(record.value(), ProxyKeyEvent.class);
        assertThat(issued.keyHash()).isEqualTo(LicenseKeys.sha256(key));
        assertThat(issued.hardwareIdHash()).isEqualTo(LicenseKeys.sha256(hardwareId));
        assertThat(issued.licenseId()).isEqualTo(license.id());
        assertThat(issued.tenantId()).isEqualTo("acme");
        assertThat(issued.userId()).isEqualTo("license:" + license.id());
        String tier = jdbc.queryForObject("select tier from license where id = ?", String.class, license.id());
        assertThat(issued.licenseTier()).as("the license's tier travels with its device key").isEqualTo(tier);
        assertThat(jdbc.queryForObject("select license_tier from proxy_key where id = ?", String.class, keyId))
                .isEqualTo(tier);
        assertThat(record.value()).doesNotContain(key).doesNotContain(hardwareId).doesNotContain(license.key());
        return issued;
    }

    private UUID deviceKeyId(IssuedLicense license, String hardwareId) {
        return jdbc.queryForObject("select proxy_key_id from license_activation where license_id = ? and"
                + " hardware_id_hash = ?", UUID.class, license.id(), LicenseKeys.sha256(hardwareId));
    }

    private ConsumerRecord<String, String> awaitRecord(UUID keyId, String type) {
        return topic.await(keyId.toString(), type, Duration.ofSeconds(30));
    }

    private IssuedLicense createLicense(String body) throws Exception {
        String created = mvc.perform(post("/api/v1/licenses").with(platformAdmin("acme"))
                        .contentType(MediaType.APPLICATION_JSON).content(body))
                .andExpect(status().isCreated())
                .andReturn().getResponse().getContentAsString();
        JsonNode json = JSON.readTree(created);
        return new IssuedLicense(UUID.fromString(json.get("id").asString()), json.get("license_key").asString());
    }

    private JsonNode readLicense(UUID id) throws Exception {
        return JSON.readTree(mvc.perform(get("/api/v1/licenses/" + id).with(platformAdmin("acme")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString());
    }

    private HttpResponse<String> activateLegacy(String licenseKey, String hardwareId) throws Exception {
        return postJson("/activate", "{\"license_key\":\"" + licenseKey + "\",\"hardware_id\":\"" + hardwareId + "\"}");
    }

    private HttpResponse<String> postJson(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** Seed 001's Python client's decryption, for answers to a client that is not a JavaScript runtime. */
    private static String seedPythonDecryption(JsonNode answer, String licenseKey) throws Exception {
        byte[] license = licenseKey.getBytes(StandardCharsets.UTF_8);
        byte[] key = Arrays.copyOf(Arrays.copyOfRange(license, 0, Math.min(32, license.length)), 32);
        Cipher cipher = Cipher.getInstance("AES/CBC/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
                new IvParameterSpec(Base64.getDecoder().decode(answer.get("iv").asString())));
        byte[] decrypted = cipher.doFinal(Base64.getDecoder().decode(answer.get("encrypted_api_key").asString()));
        return new String(decrypted, 0, decrypted.length - decrypted[decrypted.length - 1], StandardCharsets.UTF_8);
    }

    private static String pythonWithSeedDependencies() throws Exception {
        for (String candidate : List.of("/usr/bin/python3", "python3")) {
            if (succeeds(Path.of("."), candidate, "-c", "import requests, cryptography")) {
                return candidate;
            }
        }
        assumeTrue(false, "Skipped: seed 001's Python client needs python3 with 'requests' and 'cryptography'"
                + " (Debian: apt-get install python3-requests python3-cryptography; .ci/run installs them)");
        return null;
    }

    private static boolean nodeAvailable() throws Exception {
        return succeeds(Path.of("."), "node", "-e", "process.exit(typeof fetch === 'function' ? 0 : 1)");
    }

    /** The seed clients with the TypeScript compiler installed beside them (npm ci offline first, then online). */
    private static Path seedClientsWithTypeScript() throws Exception {
        assumeTrue(nodeAvailable() && succeeds(Path.of("."), "npm", "--version"),
                "Skipped: seed 001's TypeScript client needs Node.js 18+ and npm (Debian: apt-get install nodejs npm)");
        Path clients = seedClients();
        if (!Files.isDirectory(clients.resolve("node_modules/typescript"))
                && !succeeds(clients, "npm", "ci", "--offline", "--no-audit", "--no-fund")) {
            String online = run(clients, "npm", "install", "--no-audit", "--no-fund");
            assertThat(clients.resolve("node_modules/typescript")).as("npm install: " + online).isDirectory();
        }
        return clients;
    }

    private static Path seedClients() throws URISyntaxException {
        return resourceDirectory("seed001");
    }

    private static Path resourceDirectory(String name) throws URISyntaxException {
        return Path.of(LicenseActivationIT.class.getResource("/" + name + "/client.py").toURI()).getParent();
    }

    private static boolean succeeds(Path directory, String... command) throws InterruptedException {
        try {
            return execute(directory, command).exitCode() == 0;
        }
        catch (IOException notInstalled) {
            return false;
        }
    }

    /** Runs a command and returns its standard output, trimmed; fails the test with its output if it fails. */
    private static String run(Path directory, String... command) throws IOException, InterruptedException {
        Outcome outcome = execute(directory, command);
        assertThat(outcome.exitCode()).as("%s exited with %s; stderr:%n%s", String.join(" ", command),
                outcome.exitCode(), outcome.stderr()).isZero();
        return outcome.stdout().strip();
    }

    private static Outcome execute(Path directory, String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("license-it", ".out");
        Path err = Files.createTempFile("license-it", ".err");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            // python-requests honours proxy variables; the test server is on loopback.
            builder.environment().put("NO_PROXY", "127.0.0.1,localhost");
            builder.environment().put("no_proxy", "127.0.0.1,localhost");
            Process process = builder.start();
            if (!process.waitFor(PROCESS_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish in " + PROCESS_TIMEOUT);
            }
            return new Outcome(process.exitValue(), Files.readString(out), Files.readString(err));
        }
        finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private record Outcome(int exitCode, String stdout, String stderr) {
    }

    private record IssuedLicense(UUID id, String key) {
    }

    private static JwtRequestPostProcessor platformAdmin(String tenant) {
        return jwt().jwt(token -> token.subject("pat").claim("tenant_id", tenant)
                        .claim("realm_access", Map.of("roles", List.of("platform-admin"))))
                .authorities(new SimpleGrantedAuthority("ROLE_platform-admin"));
    }

    private static JwtRequestPostProcessor developer(String tenant) {
        return jwt().jwt(token -> token.subject("alice").claim("tenant_id", tenant)
                        .claim("realm_access", Map.of("roles", List.of("developer"))))
                .authorities(new SimpleGrantedAuthority("ROLE_developer"));
    }
}
