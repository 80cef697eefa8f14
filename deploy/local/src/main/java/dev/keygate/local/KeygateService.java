package dev.keygate.local;

import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** The four Keygate services, in the order they start: keyvault first, since the others call it. */
public enum KeygateService {

    KEYVAULT("keyvault-service"),
    ADMIN("admin-service"),
    USAGE("usage-service"),
    PROXY("proxy-service");

    private final String module;

    KeygateService(String module) {
        this.module = module;
    }

    /** The Maven module, which is also the service's name, log file name and certificate identity. */
    public String module() {
        return module;
    }

    /** Where the reactor build leaves the runnable jar (spring-boot repackage, classifier {@code exec}). */
    public Path executableJar(Path repositoryRoot, String version) {
        return repositoryRoot.resolve(module).resolve("target").resolve(module + "-" + version + "-exec.jar");
    }

    /**
     * The JVM options to start the service with: {@link ServiceProcess#SERVICE_JVM_OPTIONS}, except for the proxy,
     * whose heap is smaller and sized up front (its live set is a few tens of MB; with a 512 MB maximum the serial
     * collector let the heap grow well past what it needs, and the process's RSS with it).
     */
    public List<String> jvmOptions() {
        return this == PROXY ? ServiceProcess.PROXY_JVM_OPTIONS : ServiceProcess.SERVICE_JVM_OPTIONS;
    }

    /** The port of the service's API. */
    public int port(StackPorts ports) {
        return switch (this) {
            case KEYVAULT -> ports.keyvault();
            case ADMIN -> ports.admin();
            case USAGE -> ports.usage();
            case PROXY -> ports.proxy();
        };
    }

    /** Where the service's API answers; keyvault speaks only mutual TLS. */
    public URI baseUrl(StackPorts ports) {
        return URI.create((this == KEYVAULT ? "https" : "http") + "://127.0.0.1:" + port(ports));
    }

    /** The plain-HTTP actuator health endpoint; keyvault has it on a management port of its own. */
    public URI healthUrl(StackPorts ports) {
        int port = this == KEYVAULT ? ports.keyvaultManagement() : port(ports);
        return URI.create("http://127.0.0.1:" + port + "/actuator/health");
    }

    /** Accepts the module name ({@code proxy-service}) or its short form ({@code proxy}), in any case. */
    public static KeygateService named(String name) {
        String wanted = name.strip().toLowerCase(Locale.ROOT);
        for (KeygateService service : values()) {
            if (service.module.equals(wanted) || service.module.equals(wanted + "-service")) {
                return service;
            }
        }
        throw new IllegalArgumentException("no service named '" + name + "'; known: "
                + Arrays.stream(values()).map(KeygateService::module).collect(Collectors.joining(", ")));
    }
}
