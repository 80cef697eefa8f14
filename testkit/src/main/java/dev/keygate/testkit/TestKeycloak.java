package dev.keygate.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.CookieHandler;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real Keycloak server (the unpacked {@code keycloak-quarkus-dist}) for tests: started once per JVM on
 * loopback with the {@code keygate} realm imported into an in-memory database, shared by every caller and
 * stopped when the JVM exits.
 *
 * <p>Each start generates fresh random values for the realm file's {@code ${KEYGATE_ADMIN_CLIENT_SECRET}} and
 * {@code ${KEYGATE_DEMO_PASSWORD}} placeholders. Keycloak's own output goes to
 * {@code target/keycloak-<port>.log} of the calling module, never to the console.
 */
public final class TestKeycloak {

    /** The realm imported from {@code deploy/keycloak/keygate-realm.json}. */
    public static final String REALM = "keygate";
    /** Public client with authorization code + PKCE (S256). */
    public static final String FRONTEND_CLIENT = "keygate-frontend";
    /** Public client with the password grant (local dev stack only). */
    public static final String CLI_CLIENT = "keygate-cli";
    /** Confidential client with a service account allowed to manage users. */
    public static final String ADMIN_SERVICE_CLIENT = "keygate-admin-service";

    private static final Logger log = LoggerFactory.getLogger(TestKeycloak.class);

    private static final String REALM_RESOURCE = "keycloak/keygate-realm.json";
    private static final String PROPERTIES_RESOURCE = "keygate-testkit.properties";
    private static final String HOME_OVERRIDE_PROPERTY = "keygate.keycloak.home";
    private static final String HEAP_OPTIONS = "-Xms64m -Xmx384m";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(250);
    private static final int LOG_TAIL_LINES = 50;
    /** Never followed: only read back from the {@code Location} header (any loopback port is allowed). */
    private static final String PKCE_REDIRECT_URI = "http://127.0.0.1:1/callback";
    private static final Pattern FORM_TAG = Pattern.compile("<form\\b[^>]*>", Pattern.CASE_INSENSITIVE);
    private static final Pattern ACTION_ATTRIBUTE = Pattern.compile("\\baction=\"([^\"]*)\"", Pattern.CASE_INSENSITIVE);
    private static final Pattern LOGIN_ERROR = Pattern.compile(
            "id=\"input-error-[^\"]*\"[^>]*>\\s*<span[^>]*>([^<]*)<", Pattern.CASE_INSENSITIVE);
    private static final Pattern HTML_ENTITY = Pattern.compile("&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);");

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static CompletableFuture<TestKeycloak> startup;

    private final int port;
    private final URI baseUrl;
    private final String adminClientSecret;
    private final String demoPassword;
    private final Path logFile;
    private final Process process;
    private final HttpClient http;

    private TestKeycloak(int port, String adminClientSecret, String demoPassword, Path logFile, Process process) {
        this.port = port;
        this.baseUrl = URI.create("http://127.0.0.1:" + port);
        this.adminClientSecret = adminClientSecret;
        this.demoPassword = demoPassword;
        this.logFile = logFile;
        this.process = process;
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /**
     * Starts the shared server in the background unless that already happened, so that callers can start it in
     * parallel with other servers. A failed start is not retried: every later caller sees the same failure.
     */
    public static synchronized CompletableFuture<TestKeycloak> startAsync() {
        if (startup == null) {
            startup = CompletableFuture.supplyAsync(TestKeycloak::start, task -> {
                Thread thread = new Thread(task, "test-keycloak-start");
                thread.setDaemon(true);
                thread.start();
            });
        }
        return startup;
    }

    /** The shared server, started (and waited for) on first use. */
    public static TestKeycloak shared() {
        try {
            return startAsync().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** The HTTP port on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:<port>}. */
    public URI baseUrl() {
        return baseUrl;
    }

    /** The {@code iss} of every token: {@code http://127.0.0.1:<port>/realms/keygate}. */
    public String issuerUri() {
        return baseUrl + "/realms/" + REALM;
    }

    /** The secret of {@value #ADMIN_SERVICE_CLIENT}, random per start. */
    public String adminClientSecret() {
        return adminClientSecret;
    }

    /** The password of every demo user (alice, pat, ana, bob, gwen), random per start. */
    public String demoPassword() {
        return demoPassword;
    }

    /** An access token for {@code username} through the password grant of {@value #CLI_CLIENT}. */
    public String passwordGrant(String username) {
        return passwordGrant(username, demoPassword);
    }

    /** Like {@link #passwordGrant(String)} with an explicit password; throws if Keycloak refuses it. */
    public String passwordGrant(String username, String password) {
        return accessToken(Map.of(
                "grant_type", "password",
                "client_id", CLI_CLIENT,
                "username", username,
                "password", password,
                "scope", "openid"));
    }

    /**
     * An access token for {@code username} through the real authorization-code flow with PKCE (S256) of
     * {@value #FRONTEND_CLIENT}, driven without a browser: login form, credentials, redirect, code exchange.
     */
    public String loginWithPkce(String username) {
        return loginWithPkce(username, demoPassword);
    }

    /** Like {@link #loginWithPkce(String)} with an explicit password; throws if Keycloak refuses the login. */
    public String loginWithPkce(String username, String password) {
        String verifier = randomToken(32);
        String state = randomToken(16);
        HttpClient browser = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER)
                .cookieHandler(new LoopbackCookieJar())
                .build();

        Map<String, String> authorize = new LinkedHashMap<>();
        authorize.put("client_id", FRONTEND_CLIENT);
        authorize.put("response_type", "code");
        authorize.put("scope", "openid");
        authorize.put("redirect_uri", PKCE_REDIRECT_URI);
        authorize.put("state", state);
        authorize.put("nonce", randomToken(16));
        authorize.put("code_challenge", codeChallenge(verifier));
        authorize.put("code_challenge_method", "S256");
        URI authorizeUri = URI.create(issuerUri() + "/protocol/openid-connect/auth?" + formEncode(authorize));
        HttpResponse<String> loginPage = send(browser, HttpRequest.newBuilder(authorizeUri).GET().build());
        if (loginPage.statusCode() != 200) {
            throw new IllegalStateException("Keycloak did not show the login form (HTTP " + loginPage.statusCode()
                    + "): " + loginPage.headers().firstValue("Location").orElse(abbreviate(loginPage.body())));
        }

        URI formAction = URI.create(loginFormAction(loginPage.body()));
        HttpResponse<String> afterLogin = send(browser, HttpRequest.newBuilder(formAction)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(formEncode(Map.of(
                        "username", username,
                        "password", password,
                        "credentialId", "")))).build());
        Optional<String> location = afterLogin.headers().firstValue("Location");
        if (afterLogin.statusCode() == 200 && FORM_TAG.matcher(afterLogin.body()).find()) {
            throw new IllegalStateException("Keycloak refused the login of '" + username
                    + "': it showed the login form again" + loginError(afterLogin.body()));
        }
        if (afterLogin.statusCode() != 302 || location.isEmpty() || !location.get().startsWith(PKCE_REDIRECT_URI)) {
            throw new IllegalStateException("Keycloak's login of '" + username + "' failed (HTTP "
                    + afterLogin.statusCode() + location.map(l -> ", Location " + l).orElse("") + ")");
        }

        Map<String, String> callback = queryParameters(URI.create(location.get()));
        if (!state.equals(callback.get("state"))) {
            throw new IllegalStateException("Keycloak returned a foreign state: " + location.get());
        }
        String code = callback.get("code");
        if (code == null) {
            throw new IllegalStateException("Keycloak returned no authorization code: " + location.get());
        }
        return accessToken(Map.of(
                "grant_type", "authorization_code",
                "client_id", FRONTEND_CLIENT,
                "code", code,
                "redirect_uri", PKCE_REDIRECT_URI,
                "code_verifier", verifier));
    }

    /** An access token of the service account of {@value #ADMIN_SERVICE_CLIENT} (client credentials grant). */
    public String clientCredentialsToken() {
        return accessToken(Map.of(
                "grant_type", "client_credentials",
                "client_id", ADMIN_SERVICE_CLIENT,
                "client_secret", adminClientSecret));
    }

    @Override
    public String toString() {
        return "TestKeycloak[" + issuerUri() + ", log " + logFile + "]";
    }

    private String accessToken(Map<String, String> form) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(issuerUri() + "/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(formEncode(form)))
                .build();
        HttpResponse<String> response = send(http, request);
        if (response.statusCode() != 200) {
            throw new IllegalStateException("Keycloak refused the " + form.get("grant_type") + " grant of client "
                    + form.get("client_id") + " (HTTP " + response.statusCode() + "): " + abbreviate(response.body()));
        }
        String token = JSON.readTree(response.body()).path("access_token").stringValue(null);
        if (token == null) {
            throw new IllegalStateException("Keycloak's token response holds no access_token");
        }
        return token;
    }

    private static TestKeycloak start() {
        Path home = keycloakHome();
        Path dataDir = home.resolve("data");
        String adminClientSecret = randomToken(24);
        String demoPassword = randomToken(18);
        try {
            Files.createDirectories(dataDir.resolve("import"));
            // The distribution directory is shared by every test JVM of the build: one start at a time, so the
            // first-start build step and the realm file copy never race.
            try (FileChannel lockChannel = FileChannel.open(dataDir.resolve("keygate-testkit.lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = lockChannel.lock()) {
                long startedAt = System.nanoTime();
                int port = freeLoopbackPort();
                int managementPort = freeLoopbackPort();
                Path logFile = Path.of(System.getProperty("user.dir"), "target", "keycloak-" + port + ".log");
                Files.createDirectories(logFile.getParent());
                copyRealmFile(dataDir.resolve("import").resolve("keygate-realm.json"));
                ProcessBuilder builder = new ProcessBuilder(
                        "setsid", home.resolve("bin").resolve("kc.sh").toString(), "start-dev",
                        "--http-host=127.0.0.1",
                        "--http-port=" + port,
                        "--http-management-port=" + managementPort,
                        "--hostname=http://127.0.0.1:" + port,
                        "--db=dev-mem",
                        "--import-realm")
                        .directory(home.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.to(logFile.toFile()));
                Map<String, String> env = builder.environment();
                env.keySet().removeIf(name -> name.startsWith("KC_") || name.startsWith("KEYCLOAK_"));
                env.put("JAVA_OPTS_KC_HEAP", HEAP_OPTIONS);
                env.put("KEYGATE_ADMIN_CLIENT_SECRET", adminClientSecret);
                env.put("KEYGATE_DEMO_PASSWORD", demoPassword);
                Process process = builder.start();
                TestKeycloak keycloak = new TestKeycloak(port, adminClientSecret, demoPassword, logFile, process);
                Runtime.getRuntime().addShutdownHook(new Thread(keycloak::stop, "test-keycloak-stop"));
                log.info("Starting Keycloak on 127.0.0.1:{} (log {})", port, logFile);
                keycloak.awaitReady();
                log.info("Keycloak ready at {} in {} ms", keycloak.issuerUri(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt));
                return keycloak;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start Keycloak from " + home, e);
        }
    }

    private void awaitReady() {
        URI discovery = URI.create(issuerUri() + "/.well-known/openid-configuration");
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Keycloak exited with code " + process.exitValue()
                        + " before it was ready. Last lines of " + logFile + ":\n" + logTail());
            }
            try {
                HttpResponse<Void> response = http.send(
                        HttpRequest.newBuilder(discovery).timeout(Duration.ofSeconds(5)).GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYetListening) {
                // keep polling
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stop();
                throw new IllegalStateException("Interrupted while waiting for Keycloak", e);
            }
            pause(POLL_INTERVAL);
        }
        stop();
        throw new IllegalStateException("Keycloak was not ready within " + READY_TIMEOUT.toSeconds()
                + " s. Last lines of " + logFile + ":\n" + logTail());
    }

    /** SIGTERM to the whole process group (setsid made the process its leader), SIGKILL after a timeout. */
    private void stop() {
        if (!process.isAlive()) {
            return;
        }
        long group = process.pid();
        List<ProcessHandle> descendants = process.descendants().toList();
        signalGroup("TERM", group);
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("Keycloak did not stop within {} s, killing it", STOP_TIMEOUT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (process.isAlive() || descendants.stream().anyMatch(ProcessHandle::isAlive)) {
            signalGroup("KILL", group);
        }
    }

    private static void signalGroup(String signal, long group) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, "--", "-" + group)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            kill.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            log.warn("Could not send SIG{} to Keycloak's process group {}", signal, group, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    private static Path keycloakHome() {
        String configured = System.getProperty(HOME_OVERRIDE_PROPERTY);
        if (configured == null) {
            Properties properties = new Properties();
            try (InputStream in = TestKeycloak.class.getClassLoader().getResourceAsStream(PROPERTIES_RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException(PROPERTIES_RESOURCE + " is not on the classpath");
                }
                properties.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            configured = properties.getProperty("keycloak.home", "");
        }
        if (configured.contains("${") || configured.matches(".*@[\\w.-]+@.*")) {
            throw new IllegalStateException("keycloak.home in " + PROPERTIES_RESOURCE + " was not filtered by the "
                    + "build: " + configured + " (set -D" + HOME_OVERRIDE_PROPERTY + " to override)");
        }
        Path home = Path.of(configured);
        if (!Files.isExecutable(home.resolve("bin").resolve("kc.sh"))) {
            throw new IllegalStateException("No Keycloak distribution at " + home
                    + ": build the testkit module first (it unpacks keycloak-quarkus-dist)");
        }
        return home;
    }

    private static void copyRealmFile(Path target) throws IOException {
        try (InputStream realm = TestKeycloak.class.getClassLoader().getResourceAsStream(REALM_RESOURCE)) {
            if (realm == null) {
                throw new IllegalStateException(REALM_RESOURCE + " is not on the classpath");
            }
            Path temporary = Files.createTempFile(target.getParent(), "keygate-realm", ".tmp");
            Files.copy(realm, temporary, StandardCopyOption.REPLACE_EXISTING);
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private static int freeLoopbackPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free loopback port", e);
        }
    }

    private static String loginFormAction(String html) {
        Matcher forms = FORM_TAG.matcher(html);
        List<String> actions = new ArrayList<>();
        while (forms.find()) {
            Matcher action = ACTION_ATTRIBUTE.matcher(forms.group());
            if (action.find()) {
                if (forms.group().contains("id=\"kc-form-login\"")) {
                    return htmlUnescape(action.group(1));
                }
                actions.add(action.group(1));
            }
        }
        throw new IllegalStateException("No login form (id kc-form-login) on Keycloak's page; form actions: " + actions);
    }

    private static String loginError(String html) {
        Matcher error = LOGIN_ERROR.matcher(html);
        return error.find() ? " (\"" + htmlUnescape(error.group(1).strip()) + "\")" : "";
    }

    private static String htmlUnescape(String text) {
        Matcher entity = HTML_ENTITY.matcher(text);
        StringBuilder out = new StringBuilder();
        while (entity.find()) {
            String name = entity.group(1);
            String replacement = switch (name) {
                case "amp" -> "&";
                case "lt" -> "<";
                case "gt" -> ">";
                case "quot" -> "\"";
                case "apos" -> "'";
                default -> new String(Character.toChars(name.startsWith("#x")
                        ? Integer.parseInt(name.substring(2), 16)
                        : Integer.parseInt(name.substring(1))));
            };
            entity.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        entity.appendTail(out);
        return out.toString();
    }

    private static Map<String, String> queryParameters(URI uri) {
        Map<String, String> parameters = new LinkedHashMap<>();
        String query = uri.getRawQuery();
        if (query == null) {
            return parameters;
        }
        for (String pair : query.split("&")) {
            int equals = pair.indexOf('=');
            String name = equals < 0 ? pair : pair.substring(0, equals);
            String value = equals < 0 ? "" : pair.substring(equals + 1);
            parameters.put(URLDecoder.decode(name, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
        }
        return parameters;
    }

    private static String formEncode(Map<String, String> form) {
        return form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    private static String codeChallenge(String verifier) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String randomToken(int bytes) {
        byte[] random = new byte[bytes];
        RANDOM.nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    private static HttpResponse<String> send(HttpClient client, HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("Request to Keycloak failed: " + request.method() + " " + request.uri(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted during a request to Keycloak", e);
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for Keycloak", e);
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 300 ? text : text.substring(0, 300) + "…";
    }

    /**
     * The cookies of one scripted login. Keycloak marks its cookies {@code Secure; SameSite=None}; browsers send
     * them to http://127.0.0.1 (a potentially trustworthy origin), but {@link java.net.CookieManager} never sends
     * secure cookies over http. This jar only ever talks to the loopback Keycloak, so it keeps name and value.
     */
    private static final class LoopbackCookieJar extends CookieHandler {

        private final Map<String, String> cookies = new LinkedHashMap<>();

        @Override
        public synchronized Map<String, List<String>> get(URI uri, Map<String, List<String>> requestHeaders) {
            if (cookies.isEmpty()) {
                return Map.of();
            }
            String header = cookies.entrySet().stream()
                    .map(cookie -> cookie.getKey() + "=" + cookie.getValue())
                    .collect(Collectors.joining("; "));
            return Map.of("Cookie", List.of(header));
        }

        @Override
        public synchronized void put(URI uri, Map<String, List<String>> responseHeaders) {
            responseHeaders.forEach((name, values) -> {
                if (name != null && name.equalsIgnoreCase("Set-Cookie")) {
                    values.forEach(this::store);
                }
            });
        }

        private void store(String setCookie) {
            String[] attributes = setCookie.split(";");
            int equals = attributes[0].indexOf('=');
            if (equals <= 0) {
                return;
            }
            String name = attributes[0].substring(0, equals).strip();
            String value = attributes[0].substring(equals + 1).strip();
            boolean expired = false;
            for (int i = 1; i < attributes.length; i++) {
                String attribute = attributes[i].strip().toLowerCase(Locale.ROOT);
                expired |= attribute.equals("max-age=0") || attribute.startsWith("max-age=-");
            }
            if (expired || value.isEmpty()) {
                cookies.remove(name);
            } else {
                cookies.put(name, value);
            }
        }
    }
}
