package dev.keygate.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/** The machine a benchmark runs on: a free loopback port for a service, the load average and the report file. */
final class BenchHost {

    private BenchHost() {
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Prints a benchmark's report and writes it to {@code bench/results/<file>}. */
    static void publish(Path root, String file, String report) throws IOException {
        System.out.println(report);
        Files.writeString(Files.createDirectories(root.resolve("bench/results")).resolve(file), report);
    }

    /** The 1, 5 and 15 minute load averages, as "a / b / c". */
    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " / " + parts[1] + " / " + parts[2];
        }
        catch (IOException ex) {
            return "unknown";
        }
    }
}
