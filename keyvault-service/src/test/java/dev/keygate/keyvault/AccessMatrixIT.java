package dev.keygate.keyvault;

import java.util.List;
import java.util.stream.Stream;

import dev.keygate.testkit.ServiceCertificate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every identity against every operation: the proxy only resolves and reports rejected keys, admin-service only
 * manages (never decrypts), the operator only runs the keyring, anyone else nothing. A refusal is 403 problem+json.
 */
class AccessMatrixIT extends KeyvaultIntegrationTest {

    private static final String SECRET = "00000000-0000-0000-0000-000000000001";

    record Operation(String name, String method, String path, String body) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final List<Operation> OPERATIONS = List.of(
            new Operation("resolve", "POST", "/v1/resolve", resolveBody("matrix", "u", "openai")),
            new Operation("report-rejected", "POST", "/v1/keys/" + SECRET + "/rejected", null),
            new Operation("store-user-key", "PUT", "/v1/tenants/matrix/users/u/keys/openai", keyBody("sk-matrix-0123456789")),
            new Operation("store-org-key", "PUT", "/v1/tenants/matrix/keys/openai", keyBody("sk-matrix-0123456789")),
            new Operation("list-keys", "GET", "/v1/tenants/matrix/users/u/keys", null),
            new Operation("delete-key", "DELETE", "/v1/tenants/matrix/users/u/keys/anthropic", null),
            new Operation("check-key", "POST", "/v1/tenants/matrix/key-checks/" + SECRET, null),
            new Operation("set-policy", "PUT", "/v1/tenants/matrix/policy", "{\"allowUserKeys\":true,\"allowOrganisationKeys\":true}"),
            new Operation("read-audit", "GET", "/v1/audit?tenantId=matrix", null),
            new Operation("keyring-status", "GET", "/v1/keyring", null),
            new Operation("keyring-reload", "POST", "/v1/keyring/reload", null));

    static Stream<Arguments> matrix() {
        return Stream.of(
                        new Object[] {"proxy-service", PROXY, List.of("resolve", "report-rejected")},
                        new Object[] {"admin-service", ADMIN, List.of("store-user-key", "store-org-key", "list-keys",
                                "delete-key", "check-key", "set-policy", "read-audit")},
                        new Object[] {"keyvault-operator", OPERATOR, List.of("keyring-status", "keyring-reload")},
                        new Object[] {"usage-service", STRANGER, List.<String>of()})
                .flatMap(row -> OPERATIONS.stream().map(operation -> Arguments.of(row[0], row[1], operation,
                        ((List<?>) row[2]).contains(operation.name()))));
    }

    @ParameterizedTest(name = "{0} {2} allowed={3}")
    @MethodSource("matrix")
    void eachIdentityMayDoExactlyItsOperations(String name, ServiceCertificate identity, Operation operation,
                                               boolean allowed) throws Exception {
        var response = call(identity, operation.method(), operation.path(), operation.body());

        if (allowed) {
            assertThat(response.statusCode()).as(response.body()).isNotIn(401, 403);
        }
        else {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(403);
            assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/problem+json"));
        }
    }
}
