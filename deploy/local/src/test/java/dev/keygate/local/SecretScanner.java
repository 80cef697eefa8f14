package dev.keygate.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Searches texts for secrets the suite planted or was given (a canary provider key, proxy keys, access tokens) and
 * remembers every hit by where it was found and which secret it was, never the secret itself, so a report of the
 * hits leaks nothing. Each secret is searched for in the kinds of source where it must not appear: a proxy key is
 * shown once in admin-service's answer, so API responses are not searched for it.
 */
final class SecretScanner {

    /** Where a text came from, deciding which secrets it must not contain. */
    enum Source { LOG, TOPIC, DATABASE, RESPONSE, SPOOL }

    /** A hit: the secret's label (not its value) and where it was found. */
    record Hit(String secret, Source source, String where) {
    }

    private record Secret(String label, String needle, Set<Source> forbiddenIn) {
    }

    private final List<Secret> secrets = new ArrayList<>();
    private final List<Hit> hits = new ArrayList<>();
    private final Map<Source, Long> bytesScanned = new LinkedHashMap<>();
    private final Map<Source, Long> itemsScanned = new LinkedHashMap<>();

    /**
     * Searches for {@code needle} in the sources {@code forbiddenIn}. Callers pass the part of a secret that must
     * never show (a key without its last 4 characters, which answers and logs may show), so a partial leak counts.
     */
    synchronized SecretScanner secret(String label, String needle, Set<Source> forbiddenIn) {
        if (needle == null || needle.length() < 16) {
            throw new IllegalArgumentException(label + ": a needle under 16 characters could match by chance");
        }
        secrets.add(new Secret(label, needle, Set.copyOf(forbiddenIn)));
        return this;
    }

    /** Scans one text of {@code source}, named {@code where} in any hit. */
    synchronized void scan(Source source, String where, String text) {
        bytesScanned.merge(source, (long) text.length(), Long::sum);
        itemsScanned.merge(source, 1L, Long::sum);
        for (Secret secret : secrets) {
            if (secret.forbiddenIn().contains(source) && text.contains(secret.needle())) {
                hits.add(new Hit(secret.label(), source, where));
            }
        }
    }

    /** Scans bytes as ISO-8859-1, which maps every byte to one character, so nothing is skipped as undecodable. */
    void scan(Source source, String where, byte[] bytes) {
        scan(source, where, bytes == null ? "" : new String(bytes, StandardCharsets.ISO_8859_1));
    }

    /** Scans every regular file under {@code directory} (none when it does not exist). */
    void scanFiles(Source source, Path directory) {
        if (!Files.isDirectory(directory)) {
            return;
        }
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                try {
                    scan(source, file.toString(), Files.readAllBytes(file));
                }
                catch (java.nio.file.NoSuchFileException gone) {
                    // a spool segment deleted once Kafka acknowledged it: nothing left to leak
                }
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    synchronized List<Hit> hits() {
        return List.copyOf(hits);
    }

    synchronized long bytesScanned(Source source) {
        return bytesScanned.getOrDefault(source, 0L);
    }

    synchronized long itemsScanned(Source source) {
        return itemsScanned.getOrDefault(source, 0L);
    }

    /** One line per source: how many texts and characters were searched. */
    synchronized String summary() {
        StringBuilder text = new StringBuilder();
        for (Source source : Source.values()) {
            text.append(String.format("  %-8s %,9d texts %,13d chars%n", source, itemsScanned(source),
                    bytesScanned(source)));
        }
        return text.toString();
    }
}
