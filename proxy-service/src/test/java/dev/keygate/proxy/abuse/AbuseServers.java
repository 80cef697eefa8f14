package dev.keygate.proxy.abuse;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.keygate.contracts.keyvault.v1.ResolveKeyRequest;
import dev.keygate.testkit.LocalPki;
import dev.keygate.testkit.ServiceCertificate;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.json.JsonMapper;

/**
 * The servers around the proxy under attack, all on loopback: a provider that records every request it gets, a
 * stray host (127.0.0.2) no request may ever reach, a keyvault over mutual TLS that resolves keys from a model of
 * who owns which key (the user's own key first, then the organisation's, as keyvault's resolution policy says), and
 * an OIDC issuer with two realms whose tokens the test signs itself (valid, expired, forged, other realm).
 */
final class AbuseServers {

    static final String REALM = "keygate";
    static final String OTHER_REALM = "elsewhere";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String ANSWER = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\","
            + "\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}";

    /** One request as a host received it; header names lower-case, first value only. */
    record Received(String host, String method, String uri, Map<String, String> headers) {
    }

    final ConcurrentLinkedQueue<Received> providerRequests = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Received> strayRequests = new ConcurrentLinkedQueue<>();
    /** tenant|user|USERID|provider or tenant|org|provider → key; the keyvault model. */
    final Map<String, String> storedKeys = new ConcurrentHashMap<>();
    final DisposableServer provider;
    final DisposableServer stray;
    final DisposableServer keyvault;
    final DisposableServer issuer;
    private final Map<String, RSAKey> realmKeys = new HashMap<>();
    private final RSAKey forger;

    AbuseServers(ServiceCertificate vaultCertificate, LocalPki pki) {
        try {
            realmKeys.put(REALM, new RSAKeyGenerator(2048).keyID("realm-key").generate());
            realmKeys.put(OTHER_REALM, new RSAKeyGenerator(2048).keyID("realm-key").generate());
            // Same key id as the real realm key: only the signature tells them apart.
            forger = new RSAKeyGenerator(2048).keyID("realm-key").generate();
            provider = recording("127.0.0.1", providerRequests);
            stray = recording("127.0.0.2", strayRequests);
            keyvault = startKeyvault(vaultCertificate, pki);
            issuer = startIssuer();
        }
        catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }

    URI providerUrl() {
        return URI.create("http://127.0.0.1:" + provider.port());
    }

    String strayHost() {
        return "127.0.0.2:" + stray.port();
    }

    String issuerUri(String realm) {
        return "http://127.0.0.1:" + issuer.port() + "/realms/" + realm;
    }

    static String userKeySlot(String tenant, String user, String provider) {
        return tenant + "|user|" + user + "|" + provider;
    }

    static String orgKeySlot(String tenant, String provider) {
        return tenant + "|org|" + provider;
    }

    /** A token of {@code realm} signed with its key, or with a forger's key under the same key id. */
    String token(String realm, boolean forged, String tenant, String subject, String audience, Instant expiresAt) {
        try {
            JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuerUri(realm)).subject(subject)
                    .audience(audience).claim("tenant_id", tenant).issueTime(Date.from(expiresAt.minusSeconds(600)))
                    .expirationTime(Date.from(expiresAt)).jwtID(UUID.randomUUID().toString()).build();
            RSAKey key = forged ? forger : realmKeys.get(realm);
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID())
                    .type(JOSEObjectType.JWT).build(), claims);
            jwt.sign(new RSASSASigner(key));
            return jwt.serialize();
        }
        catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static DisposableServer recording(String host, ConcurrentLinkedQueue<Received> into) {
        return HttpServer.create().host(host).port(0)
                .handle((request, response) -> request.receive().then(Mono.defer(() -> {
                    Map<String, String> headers = new HashMap<>();
                    request.requestHeaders().forEach(entry -> headers.putIfAbsent(
                            entry.getKey().toLowerCase(Locale.ROOT), entry.getValue()));
                    into.add(new Received(host, request.method().name(), request.uri(), headers));
                    return response.header("Content-Type", "application/json").sendString(Mono.just(ANSWER)).then();
                })))
                .bindNow();
    }

    private DisposableServer startKeyvault(ServiceCertificate vault, LocalPki pki) throws Exception {
        SslContext tls = SslContextBuilder.forServer(vault.certificate().toFile(), vault.privateKey().toFile())
                .trustManager(pki.caCertificate().toFile()).clientAuth(ClientAuth.REQUIRE).build();
        return HttpServer.create().host("127.0.0.1").port(0).secure(spec -> spec.sslContext(tls))
                .route(routes -> routes
                        .post("/v1/resolve", (request, response) -> request.receive().aggregate().asByteArray()
                                .flatMap(body -> {
                                    ResolveKeyRequest asked = JSON.readValue(body, ResolveKeyRequest.class);
                                    String user = storedKeys.get(userKeySlot(asked.tenantId(), asked.userId(),
                                            asked.provider()));
                                    String org = storedKeys.get(orgKeySlot(asked.tenantId(), asked.provider()));
                                    if (user == null && org == null) {
                                        return response.status(404).header("Content-Type", "application/problem+json")
                                                .sendString(Mono.just("{\"status\":404}")).then();
                                    }
                                    String key = user != null ? user : org;
                                    Map<String, Object> resolved = Map.of("secretId",
                                            UUID.nameUUIDFromBytes(key.getBytes(StandardCharsets.UTF_8)),
                                            "provider", asked.provider(),
                                            "ownerType", user != null ? "user" : "organisation", "key", key);
                                    return response.header("Content-Type", "application/json")
                                            .sendString(Mono.just(JSON.writeValueAsString(resolved))).then();
                                }))
                        .post("/v1/keys/{secretId}/rejected", (request, response) -> request.receive()
                                .then(response.status(204).send())))
                .bindNow();
    }

    private DisposableServer startIssuer() {
        return HttpServer.create().host("127.0.0.1").port(0)
                .route(routes -> {
                    for (String realm : List.of(REALM, OTHER_REALM)) {
                        routes.get("/realms/" + realm + "/.well-known/openid-configuration", (request, response) ->
                                response.header("Content-Type", "application/json").sendString(Mono.fromSupplier(() ->
                                        JSON.writeValueAsString(Map.of("issuer", issuerUri(realm),
                                                "jwks_uri", issuerUri(realm) + "/protocol/openid-connect/certs",
                                                "subject_types_supported", List.of("public"),
                                                "id_token_signing_alg_values_supported", List.of("RS256"))))));
                        routes.get("/realms/" + realm + "/protocol/openid-connect/certs", (request, response) ->
                                response.header("Content-Type", "application/json").sendString(Mono.fromSupplier(() ->
                                        new JWKSet(realmKeys.get(realm).toPublicJWK()).toString())));
                    }
                })
                .bindNow();
    }

    void close() {
        provider.disposeNow();
        stray.disposeNow();
        keyvault.disposeNow();
        issuer.disposeNow();
    }
}
