package dev.keygate.bench;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import com.sun.net.httpserver.HttpServer;
import tools.jackson.databind.json.JsonMapper;

/**
 * Access tokens shaped as Keycloak's (issuer, audience {@code keygate-api}, {@code tenant_id},
 * {@code realm_access.roles}), RS256-signed with a key generated per run, and the JWK set that verifies them,
 * served on loopback where Keycloak serves a realm's keys. usage-service's issuer is this server's realm URL: the same
 * decoder, signature, issuer, audience and role checks run as with Keycloak, only the key comes from here.
 */
final class AnalystTokens implements AutoCloseable {

    static final String AUDIENCE = "keygate-api";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    private final KeyPair keys;
    private final HttpServer server;

    AnalystTokens() throws IOException, GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        keys = generator.generateKeyPair();
        RSAPublicKey publicKey = (RSAPublicKey) keys.getPublic();
        byte[] jwks = JSON.writeValueAsBytes(Map.of("keys", List.of(Map.of("kty", "RSA", "kid", "bench", "use", "sig",
                "alg", "RS256", "n", unsigned(publicKey.getModulus()), "e", unsigned(publicKey.getPublicExponent())))));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        // Where usage-service fetches them since issue 8 (common-oidc): <realm>/protocol/openid-connect/certs, the
        // realm being the issuer when KEYGATE_OIDC_INTERNAL_URL is empty.
        server.createContext("/realms/keygate/protocol/openid-connect/certs", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, jwks.length);
            exchange.getResponseBody().write(jwks);
            exchange.close();
        });
        server.start();
    }

    String issuer() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/realms/keygate";
    }

    /** A token valid for 5 minutes, like Keycloak's, for {@code user} with {@code role} in {@code tenant}. */
    String token(String user, String tenant, String role) {
        Instant now = Instant.now();
        String header = BASE64URL.encodeToString(JSON.writeValueAsBytes(Map.of("alg", "RS256", "typ", "JWT",
                "kid", "bench")));
        String claims = BASE64URL.encodeToString(JSON.writeValueAsBytes(Map.of("iss", issuer(), "aud", AUDIENCE,
                "sub", user, "iat", now.getEpochSecond(), "exp", now.plusSeconds(300).getEpochSecond(),
                "tenant_id", tenant, "realm_access", Map.of("roles", List.of(role)))));
        try {
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(keys.getPrivate());
            signature.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
            return header + "." + claims + "." + BASE64URL.encodeToString(signature.sign());
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static String unsigned(BigInteger value) {
        byte[] bytes = value.toByteArray();
        return BASE64URL.encodeToString(bytes[0] == 0 ? Arrays.copyOfRange(bytes, 1, bytes.length) : bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
