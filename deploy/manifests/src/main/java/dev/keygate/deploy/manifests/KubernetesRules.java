package dev.keygate.deploy.manifests;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

/**
 * The invariants every rendering of deploy/k8s must keep. {@link #violations} returns one readable line per broken
 * rule; an empty list means the manifests are acceptable.
 */
final class KubernetesRules {

    /** Who may reach keyvault-service at all: its two callers (resolve, manage). */
    static final Set<String> KEYVAULT_CALLERS = Set.of("proxy-service", "admin-service");
    private static final String KEYVAULT = "keyvault-service";
    private static final String NAME = "app.kubernetes.io/name";
    private static final String DB_LABEL = "cnpg.io/cluster";
    private static final Pattern DB_HOST = Pattern.compile("jdbc:postgresql://(keygate-([a-z]+)-db)-rw[:/]");

    private final List<HasMetadata> resources;
    private final List<String> violations = new ArrayList<>();

    private KubernetesRules(List<HasMetadata> resources) {
        this.resources = resources;
    }

    public static List<String> violations(List<HasMetadata> resources) {
        KubernetesRules rules = new KubernetesRules(resources);
        rules.check();
        return List.copyOf(rules.violations);
    }

    private void check() {
        List<Deployment> deployments = of(Deployment.class);
        if (deployments.isEmpty()) {
            violations.add("no Deployment rendered");
        }
        for (HasMetadata resource : resources) {
            String id = id(resource);
            if (resource.getKind().equals("Secret")) {
                violations.add(id + ": Secrets are referenced, never defined in the manifests");
            }
            if (resource.getMetadata().getNamespace() == null) {
                violations.add(id + ": no namespace");
            }
        }
        of(ConfigMap.class).forEach(this::checkConfigMap);
        deployments.forEach(this::checkDeployment);
        checkDisruptionBudgets(deployments);
        checkProxyAutoscaler();
        checkNetworkPolicies(deployments);
        checkCertificates(deployments);
    }

    private void checkConfigMap(ConfigMap map) {
        Optional.ofNullable(map.getData()).orElse(Map.of()).forEach((key, value) -> {
            if (SecretPatterns.isSecretName(key) || SecretPatterns.looksLikeSecret(value)) {
                violations.add(id(map) + ": data." + key + " looks like a secret; reference a Secret instead");
            }
        });
    }

    private void checkDeployment(Deployment deployment) {
        String id = id(deployment);
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        PodSecurityContext podSecurity = pod.getSecurityContext();
        boolean podNonRoot = podSecurity != null && Boolean.TRUE.equals(podSecurity.getRunAsNonRoot());
        if (podSecurity != null && Long.valueOf(0).equals(podSecurity.getRunAsUser())) {
            violations.add(id + ": pod runs as uid 0");
        }
        if (!Boolean.FALSE.equals(pod.getAutomountServiceAccountToken())) {
            violations.add(id + ": automountServiceAccountToken must be false (no service needs the API)");
        }
        if (pod.getContainers() == null || pod.getContainers().isEmpty()) {
            violations.add(id + ": no containers");
            return;
        }
        List<Container> all = new ArrayList<>(pod.getContainers());
        Optional.ofNullable(pod.getInitContainers()).ifPresent(all::addAll);
        for (Container container : all) {
            String where = id + " container " + container.getName();
            if (container.getReadinessProbe() == null) {
                violations.add(where + ": no readinessProbe");
            }
            if (container.getLivenessProbe() == null) {
                violations.add(where + ": no livenessProbe");
            }
            checkResources(where, container.getResources());
            SecurityContext security = container.getSecurityContext();
            boolean nonRoot = podNonRoot || (security != null && Boolean.TRUE.equals(security.getRunAsNonRoot()));
            if (!nonRoot) {
                violations.add(where + ": runAsNonRoot is not true");
            }
            if (security == null || !Boolean.TRUE.equals(security.getReadOnlyRootFilesystem())) {
                violations.add(where + ": readOnlyRootFilesystem is not true");
            }
            if (security == null || !Boolean.FALSE.equals(security.getAllowPrivilegeEscalation())) {
                violations.add(where + ": allowPrivilegeEscalation is not false");
            }
            if (security != null && Long.valueOf(0).equals(security.getRunAsUser())) {
                violations.add(where + ": runs as uid 0");
            }
            if (security == null || security.getCapabilities() == null
                    || security.getCapabilities().getDrop() == null
                    || !security.getCapabilities().getDrop().contains("ALL")) {
                violations.add(where + ": capabilities are not dropped (drop: [ALL])");
            }
            String image = Objects.requireNonNullElse(container.getImage(), "");
            if (!image.contains("@") && (!image.contains(":") || image.endsWith(":latest"))) {
                violations.add(where + ": image " + image + " has no pinned tag");
            }
            for (EnvVar env : Optional.ofNullable(container.getEnv()).orElse(List.of())) {
                String value = env.getValue();
                if (value != null && !value.isEmpty()
                        && (SecretPatterns.isSecretName(env.getName()) || SecretPatterns.looksLikeSecret(value))) {
                    violations.add(where + ": env " + env.getName() + " has a literal secret value; use secretKeyRef");
                }
            }
        }
        for (Volume volume : Optional.ofNullable(pod.getVolumes()).orElse(List.of())) {
            if (volume.getHostPath() != null) {
                violations.add(id + ": volume " + volume.getName() + " mounts a host path");
            }
        }
    }

    private void checkResources(String where, ResourceRequirements resources) {
        if (resources == null) {
            violations.add(where + ": no resources");
            return;
        }
        Map<String, Quantity> requests = Optional.ofNullable(resources.getRequests()).orElse(Map.of());
        Map<String, Quantity> limits = Optional.ofNullable(resources.getLimits()).orElse(Map.of());
        for (String kind : List.of("cpu", "memory")) {
            if (!requests.containsKey(kind)) {
                violations.add(where + ": no " + kind + " request");
            }
            if (!limits.containsKey(kind)) {
                violations.add(where + ": no " + kind + " limit");
            }
            if (requests.containsKey(kind) && limits.containsKey(kind)
                    && Quantity.getAmountInBytes(requests.get(kind))
                            .compareTo(Quantity.getAmountInBytes(limits.get(kind))) > 0) {
                violations.add(where + ": " + kind + " request above its limit");
            }
        }
    }

    private void checkDisruptionBudgets(List<Deployment> deployments) {
        List<PodDisruptionBudget> budgets = of(PodDisruptionBudget.class);
        for (Deployment deployment : deployments) {
            Map<String, String> labels = podLabels(deployment);
            boolean single = deployment.getSpec().getStrategy() != null
                    && "Recreate".equals(deployment.getSpec().getStrategy().getType());
            boolean covered = budgets.stream().anyMatch(b -> matches(b.getSpec().getSelector(), labels));
            if (single) {
                if (!Integer.valueOf(1).equals(deployment.getSpec().getReplicas())) {
                    violations.add(id(deployment) + ": a Recreate (single-reader) deployment must have 1 replica");
                }
            }
            else {
                if (!covered) {
                    violations.add(id(deployment) + ": no PodDisruptionBudget selects its pods");
                }
                if (deployment.getSpec().getReplicas() == null || deployment.getSpec().getReplicas() < 2) {
                    violations.add(id(deployment) + ": fewer than 2 replicas");
                }
            }
        }
    }

    private void checkProxyAutoscaler() {
        boolean found = of(HorizontalPodAutoscaler.class).stream().anyMatch(hpa ->
                "Deployment".equals(hpa.getSpec().getScaleTargetRef().getKind())
                        && "proxy-service".equals(hpa.getSpec().getScaleTargetRef().getName())
                        && hpa.getSpec().getMinReplicas() != null && hpa.getSpec().getMinReplicas() >= 2
                        && hpa.getSpec().getMaxReplicas() > hpa.getSpec().getMinReplicas());
        if (!found) {
            violations.add("no HorizontalPodAutoscaler scales Deployment proxy-service from at least 2 replicas");
        }
    }

    private void checkNetworkPolicies(List<Deployment> deployments) {
        List<NetworkPolicy> policies = of(NetworkPolicy.class);
        boolean defaultDeny = policies.stream().anyMatch(p -> isEmpty(p.getSpec().getPodSelector())
                && types(p).containsAll(List.of("Ingress", "Egress"))
                && empty(p.getSpec().getIngress()) && empty(p.getSpec().getEgress()));
        if (!defaultDeny) {
            violations.add("no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)");
        }
        Map<String, Map<String, String>> pods = new LinkedHashMap<>();
        deployments.forEach(d -> pods.put(d.getMetadata().getName(), podLabels(d)));
        Map<String, String> keyvault = pods.get(KEYVAULT);
        if (keyvault == null) {
            violations.add("no Deployment " + KEYVAULT);
        }
        else {
            Set<String> reach = new TreeSet<>();
            pods.forEach((name, labels) -> {
                if (!name.equals(KEYVAULT) && ingressAllowed(policies, keyvault, labels, null)) {
                    reach.add(name);
                }
            });
            if (!reach.equals(new TreeSet<>(KEYVAULT_CALLERS))) {
                violations.add("NetworkPolicies let " + reach + " reach " + KEYVAULT + "; only "
                        + new TreeSet<>(KEYVAULT_CALLERS) + " may");
            }
            externalIngress(policies, keyvault).forEach(peer ->
                    violations.add(KEYVAULT + " accepts traffic from outside its callers: " + peer));
        }
        // Databases: each service's own CloudNativePG cluster, named in its JDBC URL; nobody else's.
        Map<String, String> databaseOf = new LinkedHashMap<>();
        deployments.forEach(d -> databaseOf.put(d.getMetadata().getName(), database(d)));
        Set<String> databases = new TreeSet<>();
        databaseOf.values().stream().filter(Objects::nonNull).forEach(databases::add);
        for (String database : databases) {
            Map<String, String> dbPod = Map.of(DB_LABEL, database);
            pods.forEach((name, labels) -> {
                boolean own = database.equals(databaseOf.get(name));
                boolean in = ingressAllowed(policies, dbPod, labels, 5432);
                boolean out = egressAllowed(policies, labels, dbPod, 5432);
                if (own && !(in && out)) {
                    violations.add(name + " cannot reach its own database " + database);
                }
                if (!own && (in || out)) {
                    violations.add(name + " may reach " + database + ", which is not its database");
                }
            });
            externalIngress(policies, dbPod).stream().filter(peer -> !peer.contains("cnpg-system")).forEach(peer ->
                    violations.add(database + " accepts traffic from outside its service: " + peer));
        }
    }

    private void checkCertificates(List<Deployment> deployments) {
        Map<String, GenericKubernetesResource> bySecret = new LinkedHashMap<>();
        resources.stream().filter(r -> r.getKind().equals("Certificate"))
                .map(GenericKubernetesResource.class::cast)
                .forEach(c -> bySecret.put(String.valueOf((Object) c.get("spec", "secretName")), c));
        for (Deployment deployment : deployments) {
            PodSpec pod = deployment.getSpec().getTemplate().getSpec();
            for (Volume volume : Optional.ofNullable(pod.getVolumes()).orElse(List.of())) {
                if (!"tls".equals(volume.getName()) || volume.getSecret() == null) {
                    continue;
                }
                String secret = volume.getSecret().getSecretName();
                GenericKubernetesResource certificate = bySecret.get(secret);
                String image = pod.getContainers().get(0).getImage();
                String service = image.substring(image.lastIndexOf('/') + 1).replaceAll("[:@].*", "");
                String identity = "spiffe://keygate/" + service;
                if (certificate == null) {
                    violations.add(id(deployment) + ": no cert-manager Certificate issues its TLS secret " + secret);
                    continue;
                }
                Object uris = certificate.get("spec", "uris");
                if (!List.of(identity).equals(uris)) {
                    violations.add("Certificate " + certificate.getMetadata().getName() + ": uris " + uris
                            + ", expected [" + identity + "]");
                }
                Object usages = certificate.get("spec", "usages");
                if (!(usages instanceof List<?> list) || !list.contains("client auth") || !list.contains("server auth")) {
                    violations.add("Certificate " + certificate.getMetadata().getName()
                            + ": usages must include server auth and client auth");
                }
                if (certificate.get("spec", "issuerRef", "name") == null) {
                    violations.add("Certificate " + certificate.getMetadata().getName() + ": no issuerRef");
                }
            }
        }
    }

    /** Whether {@code source} pods may open connections to {@code target} pods (any port when {@code port} is null). */
    static boolean ingressAllowed(List<NetworkPolicy> policies, Map<String, String> target,
                                  Map<String, String> source, Integer port) {
        List<NetworkPolicy> isolating = policies.stream()
                .filter(p -> matches(p.getSpec().getPodSelector(), target) && types(p).contains("Ingress")).toList();
        if (isolating.isEmpty()) {
            return true;
        }
        for (NetworkPolicy policy : isolating) {
            for (NetworkPolicyIngressRule rule : Optional.ofNullable(policy.getSpec().getIngress()).orElse(List.of())) {
                boolean peer = empty(rule.getFrom()) || rule.getFrom().stream().anyMatch(p -> podPeer(p, source));
                if (peer && portMatches(rule.getPorts(), port)) {
                    return true;
                }
            }
        }
        return false;
    }

    static boolean egressAllowed(List<NetworkPolicy> policies, Map<String, String> source,
                                 Map<String, String> target, Integer port) {
        List<NetworkPolicy> isolating = policies.stream()
                .filter(p -> matches(p.getSpec().getPodSelector(), source) && types(p).contains("Egress")).toList();
        if (isolating.isEmpty()) {
            return true;
        }
        for (NetworkPolicy policy : isolating) {
            for (NetworkPolicyEgressRule rule : Optional.ofNullable(policy.getSpec().getEgress()).orElse(List.of())) {
                boolean peer = empty(rule.getTo()) || rule.getTo().stream().anyMatch(p -> podPeer(p, target));
                if (peer && portMatches(rule.getPorts(), port)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Ingress rules towards {@code target} that admit anything but pods of this namespace. */
    private static List<String> externalIngress(List<NetworkPolicy> policies, Map<String, String> target) {
        List<String> external = new ArrayList<>();
        for (NetworkPolicy policy : policies) {
            if (!matches(policy.getSpec().getPodSelector(), target) || !types(policy).contains("Ingress")) {
                continue;
            }
            for (NetworkPolicyIngressRule rule : Optional.ofNullable(policy.getSpec().getIngress()).orElse(List.of())) {
                if (empty(rule.getFrom())) {
                    external.add(policy.getMetadata().getName() + ": a rule without 'from' (everyone)");
                    continue;
                }
                for (NetworkPolicyPeer peer : rule.getFrom()) {
                    if (peer.getNamespaceSelector() != null || peer.getIpBlock() != null) {
                        external.add(policy.getMetadata().getName() + ": " + peer);
                    }
                }
            }
        }
        return external;
    }

    private static boolean podPeer(NetworkPolicyPeer peer, Map<String, String> labels) {
        return peer.getPodSelector() != null && peer.getNamespaceSelector() == null && peer.getIpBlock() == null
                && matches(peer.getPodSelector(), labels);
    }

    private static boolean portMatches(List<NetworkPolicyPort> ports, Integer port) {
        if (port == null || empty(ports)) {
            return true;
        }
        return ports.stream().anyMatch(p -> p.getPort() == null
                || (p.getPort().getIntVal() != null && p.getPort().getIntVal().equals(port))
                || p.getPort().getStrVal() != null);
    }

    static boolean matches(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) {
            return false;
        }
        for (Map.Entry<String, String> entry : Optional.ofNullable(selector.getMatchLabels()).orElse(Map.of())
                .entrySet()) {
            if (!entry.getValue().equals(labels.get(entry.getKey()))) {
                return false;
            }
        }
        for (LabelSelectorRequirement requirement : Optional.ofNullable(selector.getMatchExpressions())
                .orElse(List.of())) {
            String value = labels.get(requirement.getKey());
            List<String> values = Optional.ofNullable(requirement.getValues()).orElse(List.of());
            boolean ok = switch (requirement.getOperator()) {
                case "In" -> value != null && values.contains(value);
                case "NotIn" -> value == null || !values.contains(value);
                case "Exists" -> value != null;
                case "DoesNotExist" -> value == null;
                default -> false;
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static boolean isEmpty(LabelSelector selector) {
        return selector != null && empty(selector.getMatchExpressions())
                && (selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty());
    }

    private static List<String> types(NetworkPolicy policy) {
        return Optional.ofNullable(policy.getSpec().getPolicyTypes()).orElse(List.of("Ingress"));
    }

    private static String database(Deployment deployment) {
        for (Container container : deployment.getSpec().getTemplate().getSpec().getContainers()) {
            for (EnvVar env : Optional.ofNullable(container.getEnv()).orElse(List.of())) {
                if (env.getName().endsWith("_DB_URL") && env.getValue() != null) {
                    Matcher matcher = DB_HOST.matcher(env.getValue());
                    if (matcher.find()) {
                        return matcher.group(1);
                    }
                }
            }
        }
        return null;
    }

    private static Map<String, String> podLabels(Deployment deployment) {
        return Optional.ofNullable(deployment.getSpec().getTemplate().getMetadata().getLabels()).orElse(Map.of());
    }

    private static boolean empty(List<?> list) {
        return list == null || list.isEmpty();
    }

    private <T> List<T> of(Class<T> type) {
        return resources.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private static String id(HasMetadata resource) {
        return resource.getKind() + "/" + resource.getMetadata().getName();
    }
}
