package dev.keygate.testkit;

/**
 * One service's own PostgreSQL database and the role that owns it. Only that role may connect to it.
 *
 * @param replication whether the role may open logical replication connections (Debezium's outbox relay)
 */
public record ServiceDatabase(String name, String jdbcUrl, String username, String password, boolean replication) {

    @Override
    public String toString() {
        return "ServiceDatabase[name=" + name + ", jdbcUrl=" + jdbcUrl + ", username=" + username
                + ", password=***, replication=" + replication + "]";
    }
}
