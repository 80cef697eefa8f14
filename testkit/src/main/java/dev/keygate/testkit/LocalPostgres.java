package dev.keygate.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.regex.Pattern;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A real PostgreSQL 17 server (zonky's embedded binaries) on 127.0.0.1 with {@code wal_level=logical}, holding one
 * database per service, each owned by its own password-authenticated role that no other role can connect as.
 * {@link #shared()} is the per-JVM instance for tests; {@link #start(Path, int)} keeps its data between runs for the
 * one-machine stack; {@link #durable()} is a fresh server that commits as the one-machine stack does, for benchmarks.
 *
 * <p>zonky's embedded server turns {@code synchronous_commit} off by default: a commit returns before its WAL is on
 * disk, so a crash of PostgreSQL (not of a service) can lose the last few hundred milliseconds of commits. Tests keep
 * that (their data dies with them); the one-machine stack and benchmarks turn it back on, because usage-service commits
 * a batch's Kafka offsets once its ledger transaction has committed and would otherwise lose those events.
 */
public final class LocalPostgres implements AutoCloseable {

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z][a-z0-9_]{0,30}");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static LocalPostgres shared;

    private final EmbeddedPostgres postgres;

    private LocalPostgres(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /** The per-JVM server for tests: fresh data, a free port, stopped at JVM exit. */
    public static synchronized LocalPostgres shared() {
        if (shared == null) {
            shared = launch(EmbeddedPostgres.builder().setCleanDataDirectory(true), false);
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "local-postgres-stop"));
        }
        return shared;
    }

    /** A server whose data lives in {@code dataDir} and survives restarts, on a fixed port; commits are durable. */
    public static LocalPostgres start(Path dataDir, int port) {
        return launch(EmbeddedPostgres.builder()
                .setDataDirectory(dataDir)
                .setCleanDataDirectory(false)
                .setPort(port), true);
    }

    /** A fresh server on a free port whose commits are durable, as the one-machine stack's; the caller closes it. */
    public static LocalPostgres durable() {
        return launch(EmbeddedPostgres.builder().setCleanDataDirectory(true), true);
    }

    private static LocalPostgres launch(EmbeddedPostgres.Builder builder, boolean durable) {
        try {
            return new LocalPostgres(builder
                    .setServerConfig("synchronous_commit", durable ? "on" : "off")
                    .setServerConfig("wal_level", "logical")
                    .setServerConfig("max_wal_senders", "8")
                    .setServerConfig("max_replication_slots", "8")
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("password_encryption", "scram-sha-256")
                    .setDataDirectoryCustomizer(dir -> writeHostBasedAuthentication(dir.toPath()))
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .start());
        }
        catch (IOException ex) {
            throw new UncheckedIOException("PostgreSQL did not start", ex);
        }
    }

    /**
     * Service roles authenticate with SCRAM; only the bootstrap superuser is trusted, and only from loopback, because
     * the embedded server's own start-up probe connects as it without a password.
     */
    private static void writeHostBasedAuthentication(Path dataDir) {
        String hba = """
                # Written by Keygate's LocalPostgres.
                local   all           postgres                 trust
                host    all           postgres  127.0.0.1/32   trust
                host    all           all       127.0.0.1/32   scram-sha-256
                host    replication   all       127.0.0.1/32   scram-sha-256
                """;
        try {
            Files.writeString(dataDir.resolve("pg_hba.conf"), hba);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** A service database with a freshly generated password. */
    public ServiceDatabase database(String name, boolean replication) {
        return database(name, randomPassword(), replication);
    }

    /**
     * Creates (or updates) the role {@code name} with {@code password} and the database {@code name} it owns, closed to
     * every other role. Idempotent, so the one-machine stack calls it on every start.
     */
    public synchronized ServiceDatabase database(String name, String password, boolean replication) {
        if (!IDENTIFIER.matcher(name).matches()) {
            throw new IllegalArgumentException("not a plain lower-case identifier: " + name);
        }
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
             Statement statement = connection.createStatement()) {
            String passwordLiteral = "'" + password.replace("'", "''") + "'";
            String attributes = "LOGIN " + (replication ? "REPLICATION" : "NOREPLICATION") + " PASSWORD " + passwordLiteral;
            statement.execute(exists(connection, "select 1 from pg_roles where rolname = ?", name)
                    ? "ALTER ROLE " + name + " " + attributes
                    : "CREATE ROLE " + name + " " + attributes);
            if (!exists(connection, "select 1 from pg_database where datname = ?", name)) {
                statement.execute("CREATE DATABASE " + name + " OWNER " + name);
            }
            statement.execute("REVOKE ALL ON DATABASE " + name + " FROM PUBLIC");
            statement.execute("GRANT CONNECT, TEMPORARY ON DATABASE " + name + " TO " + name);
        }
        catch (SQLException ex) {
            throw new IllegalStateException("could not prepare database " + name, ex);
        }
        return new ServiceDatabase(name, jdbcUrl(name), name, password, replication);
    }

    private static boolean exists(Connection connection, String sql, String name) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            query.setString(1, name);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next();
            }
        }
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/" + database;
    }

    public int port() {
        return postgres.getPort();
    }

    @Override
    public void close() {
        try {
            postgres.close();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    static String randomPassword() {
        byte[] bytes = new byte[18];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
