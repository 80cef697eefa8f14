package dev.keygate.deploy.manifests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class ComposeRulesTest {

    @TempDir
    Path dir;

    @Test
    void theComposeFileKeepsEveryInvariant() {
        Path deploy = DeployDirectory.path();

        assertThat(ComposeRules.violations(deploy.resolve("docker-compose.yml"), deploy.resolve(".env.example")))
                .isEmpty();
    }

    @Test
    void reportsEveryBrokenRuleOfABadComposeFile() throws IOException {
        Files.writeString(dir.resolve(".env.example"), "DB_PASSWORD=set-me\nLEAKED=sk-ant-api03-0123456789abcdefghij\n");
        Files.writeString(dir.resolve("docker-compose.yml"), """
                x-defaults: &defaults
                  restart: unless-stopped
                services:
                  postgres:
                    image: postgres:17.6
                    environment:
                      POSTGRES_PASSWORD: hunter2
                    deploy:
                      resources:
                        limits:
                          memory: 512M
                  keyvault-service:
                    <<: *defaults
                    image: keygate/keyvault-service:1
                    user: "0"
                    read_only: true
                    volumes:
                      - ${CERT_DIR}/keyvault-service.key.pem:/etc/keygate/tls/tls.key
                    depends_on:
                      - postgres
                    networks: [vault]
                    healthcheck:
                      test: ["CMD", "/busybox/wget", "-q", "http://127.0.0.1:8444/actuator/health"]
                  proxy-service:
                    image: keygate/proxy-service:1
                    user: "65532"
                    read_only: true
                    networks: [vault]
                    deploy:
                      resources:
                        limits:
                          memory: 512M
                  usage-service:
                    image: keygate/usage-service:1
                    user: "65532"
                    read_only: true
                    networks: [vault]
                    helthcheck:
                      test: ["CMD", "true"]
                    mem_limit: 512M
                    environment:
                      USAGE_DB_PASSWORD: ${DB_PASSWORD:-changeme}
                """);

        assertThat(ComposeRules.violations(dir.resolve("docker-compose.yml"), dir.resolve(".env.example")))
                .containsExactlyInAnyOrder(
                        "postgres: no healthcheck although others wait for it",
                        "postgres: POSTGRES_PASSWORD must be only a ${VARIABLE} reference without default",
                        "keyvault-service: depends_on as a list starts before dependencies are healthy",
                        "keyvault-service: no memory limit",
                        "keyvault-service: must run as a non-root user",
                        "keyvault-service: certificate volume ${CERT_DIR}/keyvault-service.key.pem:/etc/keygate/tls/tls.key is not read-only",
                        "proxy-service: no healthcheck",
                        "usage-service: unknown key helthcheck",
                        "usage-service: no healthcheck",
                        "usage-service: USAGE_DB_PASSWORD must be only a ${VARIABLE} reference without default",
                        "keyvault-service shares a network with [proxy-service, usage-service]; only [admin-service, otel-collector, postgres, proxy-service] may",
                        ".env.example does not define CERT_DIR, which the compose file uses",
                        ".env.example: LEAKED looks like a real secret");
    }
}
