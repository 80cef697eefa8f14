package dev.keygate.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server run as a separate process of its own, with its output in a log file: a Spring Boot service from its
 * runnable jar ({@link #startJar}), or any command ({@link #start}). On Linux the process gets a session of its own
 * ({@code setsid}), so a Ctrl-C on the terminal reaches only the launcher, which stops its processes in order.
 *
 * <p>The environment is exactly what the caller passes plus a few harmless variables of the launcher
 * ({@value #INHERITED_DESCRIPTION}), so a stray {@code KEYGATE_*} or {@code SPRING_*} in the caller's shell never
 * changes what a service sees.
 */
public final class ServiceProcess implements AutoCloseable {

    /** How long {@link #stop()} waits after SIGTERM before it kills. */
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

    /** JVM options for a service: a small stack and the serial collector keep a service's footprint small. */
    public static final List<String> SERVICE_JVM_OPTIONS = List.of(
            "-XX:+UseSerialGC", "-Xss512k", "-Xmx512m", "-XX:+ExitOnOutOfMemoryError");

    /**
     * proxy-service's options ({@link KeygateService#jvmOptions()}): as above with a 64-256 MB heap, and the C
     * heap given back to the system every 5 s where the JVM knows how: glibc keeps what the JIT compiler and Netty
     * freed, about 30 MB of the proxy's RSS under load (docs/benchmarks.md).
     */
    public static final List<String> PROXY_JVM_OPTIONS = proxyOptions(Runtime.version());

    static List<String> proxyOptions(Runtime.Version java) {
        List<String> options = new ArrayList<>(List.of("-XX:+UseSerialGC", "-Xss512k", "-Xms64m", "-Xmx256m"));
        if (trimsNativeHeap(java)) {
            options.add("-XX:TrimNativeHeapInterval=5000");
        }
        options.add("-XX:+ExitOnOutOfMemoryError");
        return List.copyOf(options);
    }

    /** The option exists from JDK 22 and in the 17.0.9 and 21.0.1 updates; an older JVM refuses to start with it. */
    static boolean trimsNativeHeap(Runtime.Version java) {
        int feature = java.feature();
        return feature >= 22 || feature == 21 && java.update() >= 1 || feature == 17 && java.update() >= 9;
    }

    static final String INHERITED_DESCRIPTION = "PATH, HOME, USER, LANG, LC_ALL, TZ, TMPDIR, JAVA_HOME";
    private static final Set<String> INHERITED = Set.of(
            "PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "JAVA_HOME");
    private static final int LOG_TAIL_LINES = 40;
    private static final Duration POLL_INTERVAL = Duration.ofMillis(250);
    private static final Optional<Path> SETSID = Stream.of("/usr/bin/setsid", "/bin/setsid")
            .map(Path::of).filter(Files::isExecutable).findFirst();
    private static final Logger log = LoggerFactory.getLogger(ServiceProcess.class);

    private final String name;
    private final Process process;
    private final Path logFile;
    private final long startedAt;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private ServiceProcess(String name, Process process, Path logFile, long startedAt) {
        this.name = name;
        this.process = process;
        this.logFile = logFile;
        this.startedAt = startedAt;
    }

    /**
     * Starts {@code jar} with {@code java <jvmOptions> -jar <jar>} and the given environment, appending its output to
     * {@code logFile}. Fails with the build command to run when the jar is missing or not a runnable jar.
     */
    public static ServiceProcess startJar(String name, Path jar, List<String> jvmOptions, Map<String, String> environment,
                                          Path workingDirectory, Path logFile) {
        requireRunnableJar(jar);
        return start(name, jarCommand(jar, jvmOptions), environment, workingDirectory, logFile);
    }

    /** Starts {@code command} with exactly {@code environment} (plus the inherited basics), output to {@code logFile}. */
    public static ServiceProcess start(String name, List<String> command, Map<String, String> environment,
                                       Path workingDirectory, Path logFile) {
        List<String> fullCommand = new ArrayList<>();
        SETSID.ifPresent(setsid -> fullCommand.add(setsid.toString()));
        fullCommand.addAll(command);
        try {
            Files.createDirectories(logFile.toAbsolutePath().getParent());
            Files.createDirectories(workingDirectory);
            ProcessBuilder builder = new ProcessBuilder(fullCommand)
                    .directory(workingDirectory.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            Map<String, String> env = builder.environment();
            env.keySet().retainAll(INHERITED);
            env.putAll(environment);
            long startedAt = System.nanoTime();
            Process process = builder.start();
            log.debug("Started {} as pid {} (log {})", name, process.pid(), logFile);
            return new ServiceProcess(name, process, logFile, startedAt);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start " + name + ": " + String.join(" ", command), e);
        }
    }

    /** {@code java <jvmOptions> -jar <jar>}, with the launcher's own Java. */
    public static List<String> jarCommand(Path jar, List<String> jvmOptions) {
        List<String> command = new ArrayList<>();
        command.add(javaExecutable().toString());
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(jar.toAbsolutePath().normalize().toString());
        return List.copyOf(command);
    }

    /** The {@code java} of the JVM running this code. */
    public static Path javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /**
     * Fails unless {@code jar} is a runnable jar (a zip with a {@code Main-Class}), naming the command that builds it.
     */
    public static void requireRunnableJar(Path jar) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("Missing " + jar + ". Build it from the repository root with: "
                    + "./mvnw -B install -DskipTests (or run deploy/local/start.sh --rebuild)");
        }
        try (JarFile file = new JarFile(jar.toFile())) {
            if (file.getManifest() == null || file.getManifest().getMainAttributes().getValue("Main-Class") == null) {
                throw new IllegalStateException(jar + " is not a runnable jar (no Main-Class). Rebuild it from the "
                        + "repository root with: ./mvnw -B install -DskipTests");
            }
        } catch (IOException e) {
            throw new IllegalStateException(jar + " is not a readable jar (" + e.getMessage() + "). Rebuild it from "
                    + "the repository root with: ./mvnw -B install -DskipTests", e);
        }
    }

    /** Keeps the previous run's log as {@code <name>.1}, so each run starts a fresh log. */
    public static void rotateLog(Path logFile) {
        try {
            if (Files.exists(logFile)) {
                Files.move(logFile, logFile.resolveSibling(logFile.getFileName() + ".1"),
                        StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not rotate " + logFile, e);
        }
    }

    /**
     * Polls {@code healthUrl} until it answers HTTP 200. Fails early, with the last lines of the log, when the process
     * exits; fails after {@code timeout} otherwise.
     */
    public void awaitHealthy(URI healthUrl, Duration timeout) {
        HttpRequest request = HttpRequest.newBuilder(healthUrl).timeout(Duration.ofSeconds(3)).GET().build();
        awaitReady("healthy at " + healthUrl, timeout, () -> {
            int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status != 200) {
                throw new IOException("HTTP " + status);
            }
            return true;
        });
    }

    /**
     * Calls {@code probe} until it returns true; an exception thrown by the probe counts as "not yet". Fails early,
     * with the last lines of the log, when the process exits; fails after {@code timeout} otherwise.
     */
    public void awaitReady(String what, Duration timeout, Callable<Boolean> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception lastFailure = null;
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with code " + process.exitValue()
                        + " before it was " + what + ". Last lines of " + logFile + ":\n" + logTail(LOG_TAIL_LINES));
            }
            try {
                if (Boolean.TRUE.equals(probe.call())) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for " + name, e);
            } catch (Exception notYet) {
                lastFailure = notYet;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " was not " + what + " within " + timeout.toSeconds() + " s"
                        + (lastFailure == null ? "" : " (last probe: " + lastFailure + ")") + ". Last lines of "
                        + logFile + ":\n" + logTail(LOG_TAIL_LINES));
            }
            try {
                Thread.sleep(POLL_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for " + name, e);
            }
        }
    }

    /**
     * SIGTERM to the process and everything it started, then up to {@link #STOP_TIMEOUT} for them to exit, then
     * SIGKILL to whatever is left. Does nothing when it already stopped.
     */
    public void stop() {
        List<ProcessHandle> tree = tree(process.toHandle());
        if (tree.stream().noneMatch(ProcessHandle::isAlive)) {
            return;
        }
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        for (ProcessHandle member : tree) {
            long left = deadline - System.nanoTime();
            try {
                if (left > 0) {
                    member.onExit().get(left, TimeUnit.NANOSECONDS);
                }
            } catch (Exception stillRunning) {
                // killed below
            }
        }
        List<ProcessHandle> survivors = tree.stream().filter(ProcessHandle::isAlive).toList();
        if (!survivors.isEmpty()) {
            log.warn("{} did not stop within {} s of SIGTERM; killing it", name, STOP_TIMEOUT.toSeconds());
            survivors.forEach(ProcessHandle::destroyForcibly);
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** The name given at start, also used in messages. */
    public String name() {
        return name;
    }

    /** The operating-system process id (with {@code setsid}, also its process group and session id). */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The process, e.g. to react to its exit ({@link Process#onExit()}). */
    public Process process() {
        return process;
    }

    public Path logFile() {
        return logFile;
    }

    /** Seconds since the process was started. */
    public double secondsSinceStart() {
        return (System.nanoTime() - startedAt) / 1e9;
    }

    /** Resident memory of the process and all its descendants, in KiB (0 where /proc cannot tell). */
    public long rssKiB() {
        return rssKiB(process.toHandle());
    }

    /** Resident memory of {@code process} and all its descendants, in KiB, from {@code /proc/<pid>/status}. */
    public static long rssKiB(ProcessHandle process) {
        return tree(process).stream().mapToLong(member -> vmRssKiB(member.pid())).sum();
    }

    /** The last {@code lines} lines of the log. */
    public String logTail(int lines) {
        try {
            Deque<String> tail = new ArrayDeque<>();
            try (Stream<String> all = Files.lines(logFile, StandardCharsets.UTF_8)) {
                all.forEach(line -> {
                    tail.addLast(line);
                    if (tail.size() > lines) {
                        tail.removeFirst();
                    }
                });
            }
            return String.join("\n", tail);
        } catch (IOException | UncheckedIOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    @Override
    public String toString() {
        return "ServiceProcess[" + name + ", pid " + process.pid() + ", log " + logFile + "]";
    }

    private static List<ProcessHandle> tree(ProcessHandle root) {
        List<ProcessHandle> tree = new ArrayList<>();
        tree.add(root);
        root.descendants().forEach(tree::add);
        return tree;
    }

    /**
     * Proportional set size of {@code process} and its descendants, in KiB, from {@code /proc/<pid>/smaps_rollup}:
     * memory shared between them (PostgreSQL's shared buffers) counts once rather than once per process. Falls back
     * to {@link #rssKiB(ProcessHandle)} where the kernel does not tell.
     */
    public static long pssKiB(ProcessHandle process) {
        long total = 0;
        for (ProcessHandle member : tree(process)) {
            try (Stream<String> lines = Files.lines(Path.of("/proc", Long.toString(member.pid()), "smaps_rollup"))) {
                total += lines.filter(line -> line.startsWith("Pss:"))
                        .map(line -> line.replaceAll("[^0-9]", ""))
                        .filter(digits -> !digits.isEmpty())
                        .mapToLong(Long::parseLong)
                        .findFirst().orElse(0);
            } catch (IOException | UncheckedIOException e) {
                return rssKiB(process);
            }
        }
        return total;
    }

    /** The resident memory of the single process {@code pid}, in KiB, from {@code /proc/<pid>/status} (0 if unknown). */
    public static long vmRssKiB(long pid) {
        try (Stream<String> lines = Files.lines(Path.of("/proc", Long.toString(pid), "status"))) {
            return lines.filter(line -> line.startsWith("VmRSS:"))
                    .map(line -> line.replaceAll("[^0-9]", ""))
                    .filter(digits -> !digits.isEmpty())
                    .mapToLong(Long::parseLong)
                    .findFirst().orElse(0);
        } catch (IOException | UncheckedIOException e) {
            return 0;
        }
    }
}
