package dev.keygate.testkit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The real PostgreSQL 17 of the test kit: logical WAL for Debezium, and one closed database per service. */
class LocalPostgresIT {

    private final LocalPostgres postgres = LocalPostgres.shared();

    @Test
    void runsPostgres17WithLogicalWal() throws SQLException {
        ServiceDatabase admin = postgres.database("admin", true);

        try (Connection connection = connect(admin, admin); Statement statement = connection.createStatement()) {
            assertThat(single(statement, "show server_version")).startsWith("17.");
            assertThat(single(statement, "show wal_level")).isEqualTo("logical");
            assertThat(single(statement, "select rolreplication::text from pg_roles where rolname = 'admin'"))
                    .isEqualTo("true");
        }
    }

    @Test
    void noServiceCanConnectToAnothersDatabase() throws SQLException {
        ServiceDatabase keyvault = postgres.database("keyvault", false);
        ServiceDatabase usage = postgres.database("usage", false);

        try (Connection own = connect(keyvault, keyvault)) {
            assertThat(own.isValid(2)).isTrue();
        }
        assertThatThrownBy(() -> connect(usage, keyvault)).isInstanceOf(SQLException.class)
                .hasMessageContaining("permission denied");
        assertThatThrownBy(() -> DriverManager.getConnection(keyvault.jdbcUrl(), keyvault.username(), "wrong"))
                .isInstanceOf(SQLException.class).hasMessageContaining("password authentication failed");
    }

    @Test
    void preparingADatabaseAgainKeepsItAndTakesTheNewPassword() throws SQLException {
        ServiceDatabase first = postgres.database("again", "first-password", false);
        try (Connection connection = connect(first, first); Statement statement = connection.createStatement()) {
            statement.execute("create table if not exists kept (id int)");
        }

        ServiceDatabase second = postgres.database("again", "second-password", false);

        try (Connection connection = connect(second, second); Statement statement = connection.createStatement()) {
            assertThat(single(statement, "select count(*)::text from information_schema.tables where table_name = 'kept'"))
                    .isEqualTo("1");
        }
    }

    private static Connection connect(ServiceDatabase database, ServiceDatabase as) throws SQLException {
        return DriverManager.getConnection(database.jdbcUrl(), as.username(), as.password());
    }

    private static String single(Statement statement, String sql) throws SQLException {
        try (ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return result.getString(1);
        }
    }
}
