package dev.keygate.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceProcessTest {

    @TempDir
    Path directory;

    @Test
    void theProxyTrimsItsNativeHeapOnlyOnJvmsThatKnowTheOptionSoOlderOnesStillStart() {
        assertThat(ServiceProcess.proxyOptions(Runtime.Version.parse("17.0.8+7")))
                .doesNotContain("-XX:TrimNativeHeapInterval=5000").contains("-Xmx256m", "-XX:+ExitOnOutOfMemoryError");
        assertThat(ServiceProcess.proxyOptions(Runtime.Version.parse("17.0.15+6")))
                .contains("-XX:TrimNativeHeapInterval=5000");
        assertThat(ServiceProcess.proxyOptions(Runtime.Version.parse("21"))).doesNotContain(
                "-XX:TrimNativeHeapInterval=5000");
        assertThat(ServiceProcess.proxyOptions(Runtime.Version.parse("21.0.5+11")))
                .contains("-XX:TrimNativeHeapInterval=5000");
        assertThat(ServiceProcess.proxyOptions(Runtime.Version.parse("25"))).contains("-XX:TrimNativeHeapInterval=5000");
    }

    @Test
    void passesExactlyTheGivenEnvironmentPlusHarmlessBasics() throws Exception {
        Path log = directory.resolve("env.log");
        ServiceProcess process = ServiceProcess.start("env", List.of("/usr/bin/env"), Map.of("KEYGATE_SAMPLE", "42"),
                directory, log);

        assertThat(process.process().waitFor()).isZero();

        List<String> names = Files.readAllLines(log).stream().map(line -> line.substring(0, line.indexOf('='))).toList();
        assertThat(names).contains("KEYGATE_SAMPLE").allMatch(name -> name.equals("KEYGATE_SAMPLE")
                || List.of("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR",
                        "JAVA_HOME").contains(name));
    }

    @Test
    void reportsTheEndOfTheLogWhenTheProcessDiesBeforeItIsHealthy() {
        ServiceProcess process = ServiceProcess.start("doomed", List.of("/bin/sh", "-c", "echo cannot bind; exit 3"),
                Map.of(), directory, directory.resolve("doomed.log"));

        assertThatThrownBy(() -> process.awaitHealthy(URI.create("http://127.0.0.1:9/actuator/health"),
                Duration.ofSeconds(30)))
                .hasMessageContaining("doomed exited with code 3")
                .hasMessageContaining("cannot bind");
    }

    @Test
    void stopsTheProcessAndEverythingItStarted() throws Exception {
        ServiceProcess process = ServiceProcess.start("tree", List.of("/bin/sh", "-c", "sleep 300 & sleep 300; wait"),
                Map.of(), directory, directory.resolve("tree.log"));
        awaitChildren(process);
        List<ProcessHandle> tree = process.process().descendants().toList();

        process.stop();

        assertThat(process.isAlive()).isFalse();
        assertThat(tree).isNotEmpty().noneMatch(ProcessHandle::isAlive);
        assertThat(process.rssKiB()).isZero();
    }

    @Test
    void measuresResidentMemoryOfARunningProcess() throws Exception {
        ServiceProcess process = ServiceProcess.start("sleeper", List.of("/bin/sleep", "300"), Map.of(), directory,
                directory.resolve("sleeper.log"));
        try {
            assertThat(process.rssKiB()).isPositive();
            assertThat(process.pid()).isPositive();
        } finally {
            process.stop();
        }
    }

    @Test
    void refusesAMissingOrEmptyJarNamingTheBuildCommand() throws Exception {
        Path missing = directory.resolve("proxy-service-0.1.0-SNAPSHOT-exec.jar");
        assertThatThrownBy(() -> ServiceProcess.requireRunnableJar(missing))
                .hasMessageContaining(missing.toString()).hasMessageContaining("./mvnw -B install -DskipTests");

        Path empty = Files.write(directory.resolve("usage-service-0.1.0-SNAPSHOT-exec.jar"),
                new byte[] {'P', 'K', 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        assertThatThrownBy(() -> ServiceProcess.requireRunnableJar(empty))
                .hasMessageContaining(empty.toString()).hasMessageContaining("./mvnw -B install -DskipTests");
    }

    @Test
    void keepsThePreviousLogOnce() throws Exception {
        Path log = directory.resolve("x.log");
        Files.writeString(log, "first run");
        ServiceProcess.rotateLog(log);
        Files.writeString(log, "second run");
        ServiceProcess.rotateLog(log);

        assertThat(log).doesNotExist();
        assertThat(directory.resolve("x.log.1")).hasContent("second run");
    }

    private static void awaitChildren(ServiceProcess process) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> process.process().descendants().count() >= 2);
    }
}
