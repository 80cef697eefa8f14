package dev.keygate.deploy.manifests;

import java.util.List;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The checker catches each kind of broken manifest: the real eu-west rendering with one thing broken. */
class KubernetesRulesTest {

    private static List<String> violationsAfter(Consumer<List<ObjectNode>> breakIt) {
        List<ObjectNode> rendered = KustomizeBuild.render(DeployDirectory.path().resolve("k8s/overlays/eu-west"));
        breakIt.accept(rendered);
        return KubernetesRules.violations(KubernetesModel.bind(rendered));
    }

    private static ObjectNode find(List<ObjectNode> resources, String kind, String name) {
        return resources.stream().filter(r -> r.path("kind").asText().equals(kind)
                && r.path("metadata").path("name").asText().equals(name)).findFirst().orElseThrow();
    }

    private static ObjectNode container(List<ObjectNode> resources, String deployment) {
        return (ObjectNode) find(resources, "Deployment", deployment).at("/spec/template/spec/containers/0");
    }

    @Test
    void aContainerWithoutReadinessProbeIsReported() {
        assertThat(violationsAfter(r -> container(r, "usage-service").remove("readinessProbe")))
                .containsExactly("Deployment/usage-service container usage-service: no readinessProbe");
    }

    @Test
    void aContainerWithoutMemoryLimitIsReported() {
        assertThat(violationsAfter(r -> ((ObjectNode) container(r, "proxy-service").at("/resources/limits"))
                .remove("memory"))).containsExactly("Deployment/proxy-service container proxy-service: no memory limit");
    }

    @Test
    void aRootContainerIsReported() {
        assertThat(violationsAfter(r -> {
            ObjectNode pod = (ObjectNode) find(r, "Deployment", "admin-service").at("/spec/template/spec");
            ((ObjectNode) pod.get("securityContext")).put("runAsNonRoot", false).put("runAsUser", 0);
            ((ObjectNode) pod.at("/containers/0/securityContext")).remove("runAsNonRoot");
        })).containsExactly("Deployment/admin-service: pod runs as uid 0",
                "Deployment/admin-service container admin-service: runAsNonRoot is not true");
    }

    @Test
    void aSecretWithDataIsReported() {
        assertThat(violationsAfter(r -> {
            ObjectNode secret = r.get(0).objectNode();
            secret.put("apiVersion", "v1").put("kind", "Secret");
            secret.putObject("metadata").put("name", "db").put("namespace", "keygate");
            secret.putObject("stringData").put("password", "hunter2hunter2");
            r.add(secret);
        })).containsExactly("Secret/db: Secrets are referenced, never defined in the manifests");
    }

    @Test
    void aLiteralPasswordInTheEnvironmentIsReported() {
        assertThat(violationsAfter(r -> {
            ArrayNode env = (ArrayNode) container(r, "usage-service").get("env");
            env.addObject().put("name", "USAGE_DB_PASSWORD_OVERRIDE").put("value", "correct-horse");
            env.addObject().put("name", "HARMLESS_LOOKING").put("value", "sk-proj-0123456789abcdefghij");
        })).containsExactly(
                "Deployment/usage-service container usage-service: env USAGE_DB_PASSWORD_OVERRIDE has a literal secret value; use secretKeyRef",
                "Deployment/usage-service container usage-service: env HARMLESS_LOOKING has a literal secret value; use secretKeyRef");
    }

    @Test
    void usageServiceReachingKeyvaultIsReported() {
        assertThat(violationsAfter(r -> {
            ArrayNode from = (ArrayNode) find(r, "NetworkPolicy", "keyvault-service").at("/spec/ingress/0/from");
            from.addObject().putObject("podSelector").putObject("matchLabels")
                    .put("app.kubernetes.io/name", "usage-service");
        })).containsExactly("NetworkPolicies let [admin-service, proxy-service, usage-service] reach keyvault-service;"
                + " only [admin-service, proxy-service] may");
    }

    @Test
    void keyvaultOpenToAnotherNamespaceIsReported() {
        assertThat(violationsAfter(r -> {
            ArrayNode from = (ArrayNode) find(r, "NetworkPolicy", "keyvault-service").at("/spec/ingress/0/from");
            from.addObject().putObject("namespaceSelector").putObject("matchLabels")
                    .put("kubernetes.io/metadata.name", "default");
        })).singleElement().asString().startsWith("keyvault-service accepts traffic from outside its callers");
    }

    @Test
    void withoutDefaultDenyEveryoneReachesKeyvaultAndTheDatabases() {
        List<String> violations = violationsAfter(r -> r.removeIf(n -> n.path("kind").asText().equals("NetworkPolicy")));

        assertThat(violations).contains(
                "no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)",
                "proxy-service may reach keygate-admin-db, which is not its database");
        assertThat(violations).anyMatch(v -> v.startsWith("NetworkPolicies let [admin-outbox-relay, admin-service,"));
    }

    @Test
    void usageServiceReachingTheAdminDatabaseIsReported() {
        assertThat(violationsAfter(r -> {
            JsonNode rule = find(r, "NetworkPolicy", "admin-database").at("/spec/ingress/0/from/0/podSelector");
            ((ArrayNode) rule.at("/matchExpressions/0/values")).add("usage-service");
        })).containsExactly("usage-service may reach keygate-admin-db, which is not its database");
    }

    @Test
    void aDeploymentWithoutDisruptionBudgetIsReported() {
        assertThat(violationsAfter(r -> r.remove(find(r, "PodDisruptionBudget", "usage-service"))))
                .containsExactly("Deployment/usage-service: no PodDisruptionBudget selects its pods");
    }

    @Test
    void aCertificateWithTheWrongIdentityIsReported() {
        assertThat(violationsAfter(r -> ((ArrayNode) find(r, "Certificate", "proxy-service").at("/spec/uris"))
                .set(0, "spiffe://keygate/usage-service")))
                .containsExactly("Certificate proxy-service: uris [spiffe://keygate/usage-service], expected "
                        + "[spiffe://keygate/proxy-service]");
    }

    @Test
    void aMisspelledFieldFailsTheStrictBinding() {
        List<ObjectNode> rendered = KustomizeBuild.render(DeployDirectory.path().resolve("k8s/overlays/eu-west"));
        ObjectNode usage = container(rendered, "usage-service");
        usage.set("readinesProbe", usage.remove("readinessProbe"));

        assertThatThrownBy(() -> KubernetesModel.bind(rendered)).isInstanceOf(ManifestException.class)
                .hasMessageContaining("readinesProbe");
    }

    @Test
    void anUnknownKindFailsTheBinding() {
        List<ObjectNode> rendered = KustomizeBuild.render(DeployDirectory.path().resolve("k8s/overlays/eu-west"));
        find(rendered, "Service", "proxy-service").put("kind", "Servcie");

        assertThatThrownBy(() -> KubernetesModel.bind(rendered)).isInstanceOf(ManifestException.class)
                .hasMessageContaining("Servcie");
    }
}
