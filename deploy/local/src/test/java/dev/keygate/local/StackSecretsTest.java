package dev.keygate.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StackSecretsTest {

    @TempDir
    Path directory;

    @Test
    void generatesEverySecretOnFirstStartIntoAnOwnerOnlyFile() throws Exception {
        Path file = directory.resolve("secrets.properties");

        StackSecrets secrets = StackSecrets.loadOrCreate(file);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(secrets.values()).hasSize(StackSecrets.ENTRIES.size())
                .allSatisfy(value -> assertThat(value).matches("[A-Za-z0-9_-]{32}"));
        assertThat(new HashSet<>(secrets.values())).as("every secret is different").hasSize(secrets.values().size());
        String content = Files.readString(file);
        for (String entry : StackSecrets.ENTRIES) {
            assertThat(content).contains(entry + "=");
        }
        assertThat(content).contains(StackSecrets.DEMO_PASSWORD + "=" + secrets.demoPassword());
    }

    @Test
    void laterStartsReadTheSameSecretsWithoutRewritingTheFile() throws Exception {
        Path file = directory.resolve("secrets.properties");
        StackSecrets first = StackSecrets.loadOrCreate(file);
        FileTime written = FileTime.from(Instant.parse("2020-01-01T00:00:00Z"));
        Files.setLastModifiedTime(file, written);
        String content = Files.readString(file);

        StackSecrets second = StackSecrets.loadOrCreate(file);

        assertThat(second).usingRecursiveComparison().isEqualTo(first);
        assertThat(Files.readString(file)).isEqualTo(content);
        assertThat(Files.getLastModifiedTime(file)).isEqualTo(written);
    }

    @Test
    void fillsInAMissingEntryAndKeepsTheOthers() throws Exception {
        Path file = directory.resolve("secrets.properties");
        Files.writeString(file, "keyvault.db-password=kept\nsomething.else=a\\\\b\n");

        StackSecrets secrets = StackSecrets.loadOrCreate(file);

        assertThat(secrets.keyvaultDbPassword()).isEqualTo("kept");
        assertThat(secrets.adminDbPassword()).hasSize(32);
        assertThat(StackSecrets.loadOrCreate(file)).usingRecursiveComparison().isEqualTo(secrets);
        assertThat(Files.readString(file)).contains("something.else=a\\\\b");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }

    @Test
    void tightensTheModeOfAnExistingFile() throws Exception {
        Path file = directory.resolve("secrets.properties");
        StackSecrets.loadOrCreate(file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        StackSecrets.loadOrCreate(file);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }

    @Test
    void createsTheMasterKeyFileOnceWithOne32ByteKey() throws Exception {
        Path file = directory.resolve("keyvault").resolve("master-keys");

        StackSecrets.ensureMasterKeyFile(file);
        List<String> lines = Files.readAllLines(file);
        StackSecrets.ensureMasterKeyFile(file);

        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).startsWith("1=");
        assertThat(Base64.getDecoder().decode(lines.get(0).substring(2))).hasSize(32);
        assertThat(Files.readAllLines(file)).as("an existing keyring is never replaced").isEqualTo(lines);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }

    @Test
    void neverShowsAValueInToString() {
        StackSecrets secrets = StackSecrets.loadOrCreate(directory.resolve("secrets.properties"));

        assertThat(secrets.toString()).doesNotContain(secrets.values().toArray(String[]::new));
    }
}
