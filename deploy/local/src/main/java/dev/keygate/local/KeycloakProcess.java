package dev.keygate.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.stream.Stream;

import dev.keygate.testkit.ServiceDatabase;

/**
 * The one-machine stack's Keycloak: the distribution the testkit build unpacks, run from a private copy under
 * {@code .keygate/keycloak} (so its one-time build for PostgreSQL never races the tests' in-memory Keycloak, which
 * uses the original), storing everything in its PostgreSQL database. The {@code keygate} realm is imported on the
 * first start and left alone afterwards: Keycloak skips an import whose realm exists.
 */
public final class KeycloakProcess implements AutoCloseable {

    /** The realm every Keygate service trusts. */
    public static final String REALM = "keygate";

    private static final String PROPERTIES_RESOURCE = "keygate-testkit.properties";
    private static final String REALM_RESOURCE = "keycloak/keygate-realm.json";
    private static final String HOME_OVERRIDE_PROPERTY = "keygate.keycloak.home";
    private static final String COPY_COMPLETE_MARKER = ".keygate-copy-complete";
    private static final String HEAP_OPTIONS = "-Xms64m -Xmx384m";

    private final ServiceProcess process;
    private final URI baseUrl;

    private KeycloakProcess(ServiceProcess process, URI baseUrl) {
        this.process = process;
        this.baseUrl = baseUrl;
    }

    /**
     * What a persistent Keycloak needs.
     *
     * @param installDirectory where the private copy of the distribution lives ({@code .keygate/keycloak})
     * @param database the {@code keycloak} database
     * @param adminClientSecret the secret of the {@code keygate-admin-service} client, used by the first import
     * @param demoPassword the demo users' password, used by the first import
     * @param bootstrapAdminPassword the master realm's {@code admin} password, used on the very first start
     */
    public record Settings(Path installDirectory, int port, int managementPort, ServiceDatabase database,
                           String adminClientSecret, String demoPassword, String bootstrapAdminPassword, Path logFile) {

        public Settings {
            Objects.requireNonNull(installDirectory, "installDirectory");
            Objects.requireNonNull(database, "database");
            Objects.requireNonNull(adminClientSecret, "adminClientSecret");
            Objects.requireNonNull(demoPassword, "demoPassword");
            Objects.requireNonNull(bootstrapAdminPassword, "bootstrapAdminPassword");
            Objects.requireNonNull(logFile, "logFile");
        }

        @Override
        public String toString() {
            return "KeycloakProcess.Settings[" + installDirectory + ", port " + port + ", " + database + "]";
        }
    }

    /**
     * Copies the distribution into {@code installDirectory} unless an earlier start did. Separate from
     * {@link #start(Settings)} so it can run while PostgreSQL is still starting.
     */
    public static Path prepareDistribution(Path installDirectory) {
        Path source = distribution();
        Path home = installDirectory.resolve(source.getFileName());
        if (Files.exists(home.resolve(COPY_COMPLETE_MARKER))) {
            return home;
        }
        try {
            Files.createDirectories(installDirectory);
            Path partial = installDirectory.resolve(source.getFileName() + ".partial");
            deleteTree(partial);
            deleteTree(home);
            copyTree(source, partial);
            Files.writeString(partial.resolve(COPY_COMPLETE_MARKER), "copied from " + source + "\n");
            Files.move(partial, home, StandardCopyOption.ATOMIC_MOVE);
            return home;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not copy Keycloak from " + source + " to " + installDirectory, e);
        }
    }

    /**
     * Starts {@code kc.sh start-dev} on 127.0.0.1 with PostgreSQL and the realm import. Passwords travel in the
     * environment ({@code KC_DB_PASSWORD}, {@code KC_BOOTSTRAP_ADMIN_PASSWORD}), never on the command line. Call
     * {@link #awaitReady(Duration)} next.
     */
    public static KeycloakProcess start(Settings settings) {
        Path home = prepareDistribution(settings.installDirectory());
        Path importDirectory = home.resolve("data").resolve("import");
        try {
            Files.createDirectories(importDirectory);
            copyRealmFile(importDirectory.resolve("keygate-realm.json"));
        } catch (IOException e) {
            throw new UncheckedIOException("Could not place the realm file in " + importDirectory, e);
        }
        ServiceProcess process = ServiceProcess.start("keycloak", command(home, settings), environment(settings), home,
                settings.logFile());
        return new KeycloakProcess(process, URI.create("http://127.0.0.1:" + settings.port()));
    }

    /** {@code kc.sh start-dev} with everything but the secrets. */
    static List<String> command(Path home, Settings settings) {
        return List.of(
                home.resolve("bin").resolve("kc.sh").toString(), "start-dev",
                "--http-host=127.0.0.1",
                "--http-port=" + settings.port(),
                "--http-management-port=" + settings.managementPort(),
                "--hostname=http://127.0.0.1:" + settings.port(),
                "--import-realm",
                "--db=postgres",
                "--db-url=" + settings.database().jdbcUrl(),
                "--db-username=" + settings.database().username());
    }

    /** The secrets, and the realm file's placeholders, as environment variables. */
    static Map<String, String> environment(Settings settings) {
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("JAVA_OPTS_KC_HEAP", HEAP_OPTIONS);
        environment.put("KC_DB_PASSWORD", settings.database().password());
        environment.put("KC_BOOTSTRAP_ADMIN_USERNAME", StackSecrets.KEYCLOAK_BOOTSTRAP_ADMIN);
        environment.put("KC_BOOTSTRAP_ADMIN_PASSWORD", settings.bootstrapAdminPassword());
        environment.put("KEYGATE_ADMIN_CLIENT_SECRET", settings.adminClientSecret());
        environment.put("KEYGATE_DEMO_PASSWORD", settings.demoPassword());
        return environment;
    }

    /** Waits until the realm's OpenID discovery document is served (the server is up and the realm exists). */
    public void awaitReady(Duration timeout) {
        process.awaitHealthy(URI.create(issuerUri() + "/.well-known/openid-configuration"), timeout);
    }

    /** {@code http://127.0.0.1:<port>}. */
    public URI baseUrl() {
        return baseUrl;
    }

    /** The {@code iss} of every token: {@code http://127.0.0.1:<port>/realms/keygate}. */
    public String issuerUri() {
        return baseUrl + "/realms/" + REALM;
    }

    /** Keycloak's process (the {@code kc.sh} shell and the server JVM it starts). */
    public ServiceProcess process() {
        return process;
    }

    /** SIGTERM to the script and the server JVM, SIGKILL after {@link ServiceProcess#STOP_TIMEOUT}. */
    public void stop() {
        process.stop();
    }

    @Override
    public void close() {
        stop();
    }

    /**
     * The unpacked {@code keycloak-quarkus-dist} named by the testkit's {@code keygate-testkit.properties}
     * ({@code keycloak.home}), or by the system property {@value #HOME_OVERRIDE_PROPERTY}.
     */
    public static Path distribution() {
        String configured = System.getProperty(HOME_OVERRIDE_PROPERTY);
        if (configured == null) {
            Properties properties = new Properties();
            try (InputStream in = KeycloakProcess.class.getClassLoader().getResourceAsStream(PROPERTIES_RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException(PROPERTIES_RESOURCE + " is not on the classpath: the testkit "
                            + "jar is missing from deploy/local/target/lib (run deploy/local/start.sh --rebuild)");
                }
                properties.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            configured = properties.getProperty("keycloak.home", "");
        }
        Path home = Path.of(configured);
        if (!Files.isExecutable(home.resolve("bin").resolve("kc.sh"))) {
            throw new IllegalStateException("No Keycloak distribution at " + home + ": build the testkit module "
                    + "first (it unpacks keycloak-quarkus-dist): ./mvnw -B install -DskipTests");
        }
        return home;
    }

    private static void copyRealmFile(Path target) throws IOException {
        try (InputStream realm = KeycloakProcess.class.getClassLoader().getResourceAsStream(REALM_RESOURCE)) {
            if (realm == null) {
                throw new IllegalStateException(REALM_RESOURCE + " is not on the classpath (it comes with the testkit)");
            }
            Files.copy(realm, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void copyTree(Path source, Path target) throws IOException {
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path directory, BasicFileAttributes attributes) throws IOException {
                if (directory.equals(source.resolve("data"))) {
                    // Runtime state of the tests' Keycloak (transaction logs, locks), not part of the distribution.
                    return FileVisitResult.SKIP_SUBTREE;
                }
                Files.createDirectories(target.resolve(source.relativize(directory).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.copy(file, target.resolve(source.relativize(file).toString()),
                        StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
