package dev.keygate.deploy.manifests;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The invariants of deploy/docker-compose.yml: health checks and health-gated start order, memory limits, non-root
 * read-only Keygate containers, certificates mounted read-only, keyvault reachable only from its callers, no secret
 * literal anywhere and an .env.example that defines every variable the file uses.
 */
final class ComposeRules {

    /** Keys a compose service may have here; anything else (a typo, an unsupported feature) is refused. */
    private static final Set<String> SERVICE_KEYS = Set.of("image", "build", "command", "entrypoint", "environment",
            "env_file", "volumes", "ports", "expose", "healthcheck", "depends_on", "deploy", "networks", "restart",
            "user", "read_only", "tmpfs", "security_opt", "cap_drop", "cap_add", "secrets", "mem_limit",
            "working_dir", "labels", "stop_grace_period", "ulimits", "init");
    private static final Set<String> TOP_LEVEL_KEYS = Set.of("name", "services", "networks", "volumes", "secrets",
            "configs");
    private static final Set<String> KEYVAULT_PEERS = Set.of("proxy-service", "admin-service", "otel-collector",
            "postgres");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)");
    /** A secret setting's value: only a reference to a variable, with no default that could hold a secret. */
    private static final Pattern SECRET_REFERENCE = Pattern.compile("\\$\\{[A-Za-z_][A-Za-z0-9_]*(:?\\?[^}]*)?}");

    private final Path composeFile;
    private final Path envExample;
    private final List<String> violations = new ArrayList<>();

    private ComposeRules(Path composeFile, Path envExample) {
        this.composeFile = composeFile;
        this.envExample = envExample;
    }

    public static List<String> violations(Path composeFile, Path envExample) {
        ComposeRules rules = new ComposeRules(composeFile, envExample);
        rules.check();
        return List.copyOf(rules.violations);
    }

    private void check() {
        String text = Yaml.text(composeFile);
        JsonNode root = Yaml.composeTree(composeFile);
        fieldNames(root).stream().filter(k -> !TOP_LEVEL_KEYS.contains(k) && !k.startsWith("x-"))
                .forEach(k -> violations.add("unknown top-level key " + k));
        JsonNode services = root.path("services");
        if (!services.isObject() || services.isEmpty()) {
            violations.add("no services");
            return;
        }
        Set<String> dependedOn = new LinkedHashSet<>();
        services.fields().forEachRemaining(e -> {
            JsonNode dependsOn = e.getValue().path("depends_on");
            dependedOn.addAll(fieldNames(dependsOn));
            dependsOn.forEach(d -> {
                if (d.isTextual()) {
                    dependedOn.add(d.asText());
                }
            });
        });
        Map<String, Set<String>> networks = new LinkedHashMap<>();
        services.fields().forEachRemaining(entry -> {
            String name = entry.getKey();
            JsonNode service = entry.getValue();
            checkService(name, service, dependedOn.contains(name));
            Set<String> joined = new TreeSet<>();
            JsonNode nets = service.path("networks");
            if (nets.isArray()) {
                nets.forEach(n -> joined.add(n.asText()));
            }
            else {
                joined.addAll(fieldNames(nets));
            }
            if (joined.isEmpty()) {
                joined.add("default");
            }
            networks.put(name, joined);
        });
        checkKeyvaultIsolation(networks);
        checkLocalFiles(services);
        checkEnvExample(text);
        checkSecretLiterals(root, "");
    }

    private void checkService(String name, JsonNode service, boolean dependedOn) {
        fieldNames(service).stream().filter(k -> !SERVICE_KEYS.contains(k))
                .forEach(k -> violations.add(name + ": unknown key " + k));
        boolean keygate = name.endsWith("-service");
        JsonNode test = service.path("healthcheck").path("test");
        boolean healthy = (test.isArray() && test.size() > 1) || (test.isTextual() && !test.asText().isBlank());
        if ((keygate || dependedOn) && !healthy) {
            violations.add(name + ": no healthcheck" + (dependedOn ? " although others wait for it" : ""));
        }
        JsonNode dependsOn = service.path("depends_on");
        if (dependsOn.isArray()) {
            violations.add(name + ": depends_on as a list starts before dependencies are healthy");
        }
        dependsOn.fields().forEachRemaining(d -> {
            if (!"service_healthy".equals(d.getValue().path("condition").asText())) {
                violations.add(name + ": depends_on " + d.getKey() + " without condition service_healthy");
            }
        });
        boolean memory = !service.path("mem_limit").isMissingNode()
                || !service.path("deploy").path("resources").path("limits").path("memory").isMissingNode();
        if (!memory) {
            violations.add(name + ": no memory limit");
        }
        if (keygate) {
            String user = service.path("user").asText("");
            if (user.isEmpty() || user.startsWith("0") || user.startsWith("root")) {
                violations.add(name + ": must run as a non-root user");
            }
            if (!service.path("read_only").asBoolean(false)) {
                violations.add(name + ": root filesystem is not read-only");
            }
        }
        for (JsonNode volume : service.path("volumes")) {
            String spec = volume.asText();
            String[] parts = spec.split(":");
            boolean certificate = spec.contains("/etc/keygate/tls") || spec.contains(".key.pem")
                    || spec.contains(".crt.pem");
            if (certificate && !(parts.length >= 3 && parts[parts.length - 1].contains("ro"))) {
                violations.add(name + ": certificate volume " + spec + " is not read-only");
            }
        }
        JsonNode environment = service.path("environment");
        if (environment.isArray()) {
            violations.add(name + ": environment as a list; use a mapping so values can be checked");
        }
        environment.fields().forEachRemaining(e -> {
            String value = e.getValue().asText();
            if (SecretPatterns.isSecretName(e.getKey()) && !value.isEmpty()
                    && !SECRET_REFERENCE.matcher(value).matches()) {
                violations.add(name + ": " + e.getKey() + " must be only a ${VARIABLE} reference without default");
            }
        });
    }

    private void checkKeyvaultIsolation(Map<String, Set<String>> networks) {
        Set<String> vault = networks.get("keyvault-service");
        if (vault == null) {
            violations.add("no keyvault-service");
            return;
        }
        Set<String> peers = new TreeSet<>();
        networks.forEach((name, joined) -> {
            if (!name.equals("keyvault-service") && joined.stream().anyMatch(vault::contains)) {
                peers.add(name);
            }
        });
        if (!KEYVAULT_PEERS.containsAll(peers) || !peers.containsAll(Set.of("proxy-service", "admin-service"))) {
            violations.add("keyvault-service shares a network with " + peers + "; only " + new TreeSet<>(KEYVAULT_PEERS)
                    + " may");
        }
    }

    private void checkLocalFiles(JsonNode services) {
        Path base = composeFile.toAbsolutePath().getParent();
        services.fields().forEachRemaining(e -> {
            for (JsonNode volume : e.getValue().path("volumes")) {
                String source = volume.asText().split(":")[0];
                if (source.startsWith("./") && !Files.exists(base.resolve(source))) {
                    violations.add(e.getKey() + ": mounts " + source + ", which does not exist");
                }
            }
        });
    }

    private void checkEnvExample(String composeText) {
        Map<String, String> example = new LinkedHashMap<>();
        for (String line : Yaml.text(envExample).split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            int eq = trimmed.indexOf('=');
            if (eq < 1) {
                violations.add(".env.example: not NAME=value: " + trimmed);
                continue;
            }
            example.put(trimmed.substring(0, eq), trimmed.substring(eq + 1));
        }
        Matcher matcher = VARIABLE.matcher(composeText);
        Set<String> used = new TreeSet<>();
        while (matcher.find()) {
            used.add(matcher.group(1));
        }
        used.stream().filter(v -> !example.containsKey(v))
                .forEach(v -> violations.add(".env.example does not define " + v + ", which the compose file uses"));
        example.forEach((key, value) -> {
            if (SecretPatterns.isSecretName(key) && !value.isEmpty() && !value.equals("set-me")) {
                violations.add(".env.example: " + key + " must be 'set-me', not a value");
            }
            if (SecretPatterns.looksLikeSecret(value)) {
                violations.add(".env.example: " + key + " looks like a real secret");
            }
        });
    }

    private void checkSecretLiterals(JsonNode node, String path) {
        if (node.isTextual() && SecretPatterns.looksLikeSecret(node.asText())) {
            violations.add(path + " looks like a secret literal");
        }
        if (node.isContainerNode()) {
            if (node.isObject()) {
                node.fields().forEachRemaining(e -> checkSecretLiterals(e.getValue(), path + "/" + e.getKey()));
            }
            else {
                for (int i = 0; i < node.size(); i++) {
                    checkSecretLiterals(node.get(i), path + "/" + i);
                }
            }
        }
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new LinkedHashSet<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }
}
