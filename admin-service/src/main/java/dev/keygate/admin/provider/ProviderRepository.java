package dev.keygate.admin.provider;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The catalog tables. Every read is scoped to what a tenant sees: the predefined rows ({@code tenant_id is null})
 * and its own. Every write of a custom row is scoped to its tenant, so another tenant's id changes nothing.
 */
@Repository
class ProviderRepository {

    private static final String VISIBLE = "(tenant_id is null or tenant_id = :tenant)";
    private static final RowMapper<ProviderRow> PROVIDER = ProviderRepository::provider;
    private static final RowMapper<ModelRow> MODEL = ProviderRepository::model;

    private final JdbcClient jdbc;

    ProviderRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** A provider row; {@code tenantId} is {@code null} for a predefined one. */
    record ProviderRow(UUID id, String tenantId, String name, String displayName, String baseUrl, ProviderKind kind,
                       AuthScheme authScheme, String authParam, Instant createdAt, Instant updatedAt) {

        boolean predefined() {
            return tenantId == null;
        }
    }

    /** A model row; {@code tenantId} is {@code null} for a predefined one. */
    record ModelRow(UUID id, UUID providerId, String tenantId, String name, String displayName, Pricing pricing,
                    Instant createdAt, Instant updatedAt) {

        boolean predefined() {
            return tenantId == null;
        }
    }

    List<ProviderRow> visibleProviders(String tenant) {
        return jdbc.sql("select * from provider where " + VISIBLE + " order by tenant_id nulls first, name")
                .param("tenant", tenant).query(PROVIDER).list();
    }

    Optional<ProviderRow> visibleProvider(UUID id, String tenant) {
        return jdbc.sql("select * from provider where id = :id and " + VISIBLE)
                .param("id", id).param("tenant", tenant).query(PROVIDER).optional();
    }

    /** A predefined name wins over a tenant's own, which can only exist if models.yaml gained the name later. */
    Optional<ProviderRow> visibleProvider(String name, String tenant) {
        return jdbc.sql("select * from provider where name = :name and " + VISIBLE
                        + " order by tenant_id nulls first limit 1")
                .param("name", name).param("tenant", tenant).query(PROVIDER).optional();
    }

    boolean providerNameTaken(String name, String tenant) {
        return jdbc.sql("select exists (select 1 from provider where name = :name and " + VISIBLE + ")")
                .param("name", name).param("tenant", tenant).query(Boolean.class).single();
    }

    void insertProvider(ProviderRow row) {
        jdbc.sql("""
                        insert into provider (id, tenant_id, name, display_name, base_url, kind, auth_scheme, auth_param,
                                              created_at, updated_at)
                        values (:id, :tenant, :name, :displayName, :baseUrl, :kind, :authScheme, :authParam,
                                :createdAt, :updatedAt)""")
                .param("id", row.id()).param("tenant", row.tenantId()).param("name", row.name())
                .param("displayName", row.displayName()).param("baseUrl", row.baseUrl())
                .param("kind", row.kind().wire()).param("authScheme", row.authScheme().wire())
                .param("authParam", row.authParam())
                .param("createdAt", timestamp(row.createdAt())).param("updatedAt", timestamp(row.updatedAt()))
                .update();
    }

    void updateCustomProvider(ProviderRow row) {
        jdbc.sql("""
                        update provider set display_name = :displayName, base_url = :baseUrl, auth_scheme = :authScheme,
                                            auth_param = :authParam, updated_at = :updatedAt
                        where id = :id and tenant_id = :tenant""")
                .param("displayName", row.displayName()).param("baseUrl", row.baseUrl())
                .param("authScheme", row.authScheme().wire()).param("authParam", row.authParam())
                .param("updatedAt", timestamp(row.updatedAt()))
                .param("id", row.id()).param("tenant", row.tenantId())
                .update();
    }

    /** Deletes a tenant's own provider and, by cascade, every model of it. */
    boolean deleteCustomProvider(UUID id, String tenant) {
        return jdbc.sql("delete from provider where id = :id and tenant_id = :tenant")
                .param("id", id).param("tenant", tenant).update() == 1;
    }

    List<ModelRow> visibleModels(Collection<UUID> providerIds, String tenant) {
        if (providerIds.isEmpty()) {
            return List.of();
        }
        return jdbc.sql("select * from provider_model where provider_id in (:providers) and " + VISIBLE
                        + " order by tenant_id nulls first, name")
                .param("providers", providerIds).param("tenant", tenant).query(MODEL).list();
    }

    Optional<ModelRow> visibleModel(UUID id, String tenant) {
        return jdbc.sql("select * from provider_model where id = :id and " + VISIBLE)
                .param("id", id).param("tenant", tenant).query(MODEL).optional();
    }

    boolean modelNameTaken(UUID providerId, String name, String tenant) {
        return jdbc.sql("select exists (select 1 from provider_model where provider_id = :provider and name = :name"
                        + " and " + VISIBLE + ")")
                .param("provider", providerId).param("name", name).param("tenant", tenant)
                .query(Boolean.class).single();
    }

    void insertModel(ModelRow row) {
        Pricing pricing = row.pricing();
        jdbc.sql("""
                        insert into provider_model (id, provider_id, tenant_id, name, display_name, input_per_million,
                                                    output_per_million, cache_read_per_million, cache_write_per_million,
                                                    created_at, updated_at)
                        values (:id, :provider, :tenant, :name, :displayName, :input, :output, :cacheRead, :cacheWrite,
                                :createdAt, :updatedAt)""")
                .param("id", row.id()).param("provider", row.providerId()).param("tenant", row.tenantId())
                .param("name", row.name()).param("displayName", row.displayName())
                .param("input", pricing == null ? null : pricing.inputPerMillion(), Types.NUMERIC)
                .param("output", pricing == null ? null : pricing.outputPerMillion(), Types.NUMERIC)
                .param("cacheRead", pricing == null ? null : pricing.cacheReadPerMillion(), Types.NUMERIC)
                .param("cacheWrite", pricing == null ? null : pricing.cacheWritePerMillion(), Types.NUMERIC)
                .param("createdAt", timestamp(row.createdAt())).param("updatedAt", timestamp(row.updatedAt()))
                .update();
    }

    boolean deleteCustomModel(UUID id, String tenant) {
        return jdbc.sql("delete from provider_model where id = :id and tenant_id = :tenant")
                .param("id", id).param("tenant", tenant).update() == 1;
    }

    // --- the predefined catalog, written from models.yaml at start-up ---

    /** Serialises concurrent start-ups of several instances; released when the transaction ends. */
    void lockPredefined() {
        jdbc.sql("select pg_advisory_xact_lock(hashtext('keygate.provider-catalog'))").query().singleRow();
    }

    /** The same predefined provider has the same id in every installation. */
    static UUID predefinedProviderId(String name) {
        return UUID.nameUUIDFromBytes(("keygate/provider/" + name).getBytes(StandardCharsets.UTF_8));
    }

    static UUID predefinedModelId(String provider, String model) {
        return UUID.nameUUIDFromBytes(("keygate/model/" + provider + "/" + model).getBytes(StandardCharsets.UTF_8));
    }

    /** Inserts or updates a predefined provider; {@code updated_at} moves only when something changed. */
    void upsertPredefinedProvider(ProviderRow row) {
        jdbc.sql("""
                        insert into provider (id, tenant_id, name, display_name, base_url, kind, auth_scheme, auth_param,
                                              created_at, updated_at)
                        values (:id, null, :name, :displayName, :baseUrl, :kind, :authScheme, :authParam, :now, :now)
                        on conflict (name) where tenant_id is null do update
                        set display_name = excluded.display_name, base_url = excluded.base_url, kind = excluded.kind,
                            auth_scheme = excluded.auth_scheme, auth_param = excluded.auth_param,
                            updated_at = excluded.updated_at
                        where (provider.display_name, provider.base_url, provider.kind, provider.auth_scheme,
                               provider.auth_param)
                              is distinct from (excluded.display_name, excluded.base_url, excluded.kind,
                                                excluded.auth_scheme, excluded.auth_param)""")
                .param("id", row.id()).param("name", row.name()).param("displayName", row.displayName())
                .param("baseUrl", row.baseUrl()).param("kind", row.kind().wire())
                .param("authScheme", row.authScheme().wire()).param("authParam", row.authParam())
                .param("now", timestamp(row.updatedAt()))
                .update();
    }

    void upsertPredefinedModel(ModelRow row) {
        Pricing pricing = row.pricing();
        jdbc.sql("""
                        insert into provider_model (id, provider_id, tenant_id, name, display_name, input_per_million,
                                                    output_per_million, cache_read_per_million, cache_write_per_million,
                                                    created_at, updated_at)
                        values (:id, :provider, null, :name, :displayName, :input, :output, :cacheRead, :cacheWrite,
                                :now, :now)
                        on conflict (provider_id, name) where tenant_id is null do update
                        set display_name = excluded.display_name, input_per_million = excluded.input_per_million,
                            output_per_million = excluded.output_per_million,
                            cache_read_per_million = excluded.cache_read_per_million,
                            cache_write_per_million = excluded.cache_write_per_million,
                            updated_at = excluded.updated_at
                        where (provider_model.display_name, provider_model.input_per_million,
                               provider_model.output_per_million, provider_model.cache_read_per_million,
                               provider_model.cache_write_per_million)
                              is distinct from (excluded.display_name, excluded.input_per_million,
                                                excluded.output_per_million, excluded.cache_read_per_million,
                                                excluded.cache_write_per_million)""")
                .param("id", row.id()).param("provider", row.providerId()).param("name", row.name())
                .param("displayName", row.displayName())
                .param("input", pricing == null ? null : pricing.inputPerMillion(), Types.NUMERIC)
                .param("output", pricing == null ? null : pricing.outputPerMillion(), Types.NUMERIC)
                .param("cacheRead", pricing == null ? null : pricing.cacheReadPerMillion(), Types.NUMERIC)
                .param("cacheWrite", pricing == null ? null : pricing.cacheWritePerMillion(), Types.NUMERIC)
                .param("now", timestamp(row.updatedAt()))
                .update();
    }

    /** Removes predefined providers models.yaml no longer lists (with every model of them, tenants' included). */
    List<String> deletePredefinedProvidersExcept(Collection<String> names) {
        String keep = names.isEmpty() ? "" : " and name not in (:names)";
        var statement = jdbc.sql("delete from provider where tenant_id is null" + keep + " returning name");
        if (!names.isEmpty()) {
            statement = statement.param("names", names);
        }
        return statement.query(String.class).list();
    }

    /** Removes predefined models of a provider that models.yaml no longer lists; tenants' own models stay. */
    int deletePredefinedModelsExcept(UUID providerId, Collection<String> names) {
        String keep = names.isEmpty() ? "" : " and name not in (:names)";
        var statement = jdbc.sql("delete from provider_model where provider_id = :provider and tenant_id is null"
                + keep).param("provider", providerId);
        if (!names.isEmpty()) {
            statement = statement.param("names", names);
        }
        return statement.update();
    }

    /** Tenants whose own provider has a name that is now predefined: theirs is hidden behind the predefined one. */
    List<String> tenantsShadowedBy(String name) {
        return jdbc.sql("select tenant_id from provider where name = :name and tenant_id is not null order by tenant_id")
                .param("name", name).query(String.class).list();
    }

    private static OffsetDateTime timestamp(Instant instant) {
        return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
    }

    private static ProviderRow provider(ResultSet rs, int row) throws SQLException {
        return new ProviderRow(rs.getObject("id", UUID.class), rs.getString("tenant_id"), rs.getString("name"),
                rs.getString("display_name"), rs.getString("base_url"),
                ProviderKind.fromWire(rs.getString("kind")).orElseThrow(),
                AuthScheme.fromWire(rs.getString("auth_scheme")).orElseThrow(), rs.getString("auth_param"),
                instant(rs, "created_at"), instant(rs, "updated_at"));
    }

    private static ModelRow model(ResultSet rs, int row) throws SQLException {
        BigDecimal input = rs.getBigDecimal("input_per_million");
        BigDecimal output = rs.getBigDecimal("output_per_million");
        BigDecimal cacheRead = rs.getBigDecimal("cache_read_per_million");
        BigDecimal cacheWrite = rs.getBigDecimal("cache_write_per_million");
        Pricing pricing = input == null && output == null && cacheRead == null && cacheWrite == null ? null
                : new Pricing(input, output, cacheRead, cacheWrite);
        return new ModelRow(rs.getObject("id", UUID.class), rs.getObject("provider_id", UUID.class),
                rs.getString("tenant_id"), rs.getString("name"), rs.getString("display_name"), pricing,
                instant(rs, "created_at"), instant(rs, "updated_at"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }
}
