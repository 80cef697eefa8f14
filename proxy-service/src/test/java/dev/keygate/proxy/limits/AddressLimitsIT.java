package dev.keygate.proxy.limits;

import java.time.Duration;

import dev.keygate.testkit.LocalPki;
import dev.keygate.testkit.ServiceCertificate;
import dev.keygate.testkit.TestKafka;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The per-address limits before authentication, through the whole proxy: an address that keeps presenting refused
 * credentials is stopped, and every answer (a 401 too) carries the address limit's headers.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "keygate.proxy.limits.ip.requests=1000",
        "keygate.proxy.limits.ip.failed-authentications=3",
        "keygate.proxy.limits.ip.window=1h"})
class AddressLimitsIT {

    @Value("${local.server.port}")
    int port;

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) {
        LocalPki pki = LocalPki.shared();
        ServiceCertificate proxy = pki.issue("proxy-service");
        registry.add("spring.kafka.bootstrap-servers", TestKafka::bootstrapServers);
        registry.add("spring.ssl.bundle.pem.keyvault-client.keystore.certificate", () -> "file:" + proxy.certificate());
        registry.add("spring.ssl.bundle.pem.keyvault-client.keystore.private-key", () -> "file:" + proxy.privateKey());
        registry.add("spring.ssl.bundle.pem.keyvault-client.truststore.certificate", () -> "file:" + pki.caCertificate());
        registry.add("server.port", () -> "0");
    }

    @Test
    void stopsAnAddressAfterRepeatedlyRefusedCredentials() {
        WebTestClient client = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port)
                .responseTimeout(Duration.ofSeconds(20)).build();
        for (int i = 0; i < 3; i++) {
            client.post().uri("/api/proxy/openai/v1/chat/completions")
                    .header(HttpHeaders.AUTHORIZATION, "Bearer px_not-a-key-" + i)
                    .contentType(MediaType.APPLICATION_JSON).bodyValue("{}")
                    .exchange().expectStatus().isUnauthorized()
                    .expectHeader().valueEquals(ExchangeLimits.LIMIT, "1000")
                    .expectHeader().valueEquals("X-Content-Type-Options", "nosniff");
        }

        // Windows are aligned to the clock: should this test straddle the hour, the count starts again once.
        int attempt = 3;
        while (attempt < 7 && client.post().uri("/api/proxy/openai/v1/chat/completions")
                .header(HttpHeaders.AUTHORIZATION, "Bearer px_not-a-key-" + attempt)
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{}")
                .exchange().returnResult(Void.class).getStatus().value() == 401) {
            attempt++;
        }

        client.post().uri("/api/proxy/openai/v1/chat/completions")
                .header(HttpHeaders.AUTHORIZATION, "Bearer px_not-a-key-last")
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{}")
                .exchange().expectStatus().isEqualTo(429)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.error.type").isEqualTo("rate_limit_exceeded")
                .jsonPath("$.error.code").isEqualTo("rate_limit_exceeded")
                .jsonPath("$.error.message").isEqualTo("Too many failed authentications from your address: 3 in 3600 "
                        + "seconds.");
    }
}
