package dev.keygate.proxy.keylease;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import javax.net.ssl.SSLException;

import dev.keygate.contracts.keyvault.v1.ResolveKeyRequest;
import dev.keygate.contracts.keyvault.v1.ResolvedKey;
import dev.keygate.proxy.clientauth.Caller;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.http.HttpStatus;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.client.HttpClient;

/**
 * The proxy's mTLS client to keyvault, presenting {@code spiffe://keygate/proxy-service}: the only identity keyvault
 * decrypts for. Non-blocking; a vault that does not answer within its timeout fails the call with 503. Resolved
 * keys are reused for {@code keygate.proxy.keyvault.cache-ttl} (see {@link KeyLeaseCache}).
 */
@Component
public class KeyvaultClient {

    private static final Logger log = LoggerFactory.getLogger(KeyvaultClient.class);

    /** keyvault's problem type when keys exist but the provider rejected them all. */
    private static final String NO_USABLE_KEY = "https://keygate.dev/problems/no-usable-key";

    private final WebClient client;
    private final Duration timeout;
    private final KeyLeaseCache leases;
    private final Disposable sweeper;

    KeyvaultClient(WebClient.Builder builder, SslBundles bundles, KeyLeaseProperties properties) throws SSLException {
        this.timeout = properties.timeout();
        SslBundle bundle = bundles.getBundle("keyvault-client");
        SslContext tls = SslContextBuilder.forClient()
                .keyManager(bundle.getManagers().getKeyManagerFactory())
                .trustManager(bundle.getManagers().getTrustManagerFactory())
                .build();
        HttpClient http = HttpClient.create()
                .secure(spec -> spec.sslContext(tls))
                .responseTimeout(properties.timeout());
        this.client = builder.clone()
                .baseUrl(properties.url().toString())
                .clientConnector(new ReactorClientHttpConnector(http))
                .build();
        this.leases = new KeyLeaseCache(properties.cacheTtl(), properties.cacheMaxEntries(), Clock.systemUTC());
        long sweepEvery = Math.max(1000, properties.cacheTtl().toMillis() / 2);
        this.sweeper = Schedulers.single().schedulePeriodically(leases::sweep, sweepEvery, sweepEvery,
                java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @jakarta.annotation.PreDestroy
    void stop() {
        sweeper.dispose();
    }

    /** Drops the tenant's cached keys: admin-service announced a change for it. */
    public void forgetTenant(String tenantId) {
        leases.evictTenant(tenantId);
    }

    /**
     * Drops what the cache holds for a stored provider key that admin-service says was stored, replaced or deleted:
     * the user's entry for the provider, or for an organisation key ({@code userId == null}) every entry of the
     * tenant and provider, since users without a key of their own were served it.
     */
    public void forgetProviderKey(String tenantId, String userId, String provider) {
        if (userId == null) {
            leases.evictProvider(tenantId, provider);
        }
        else {
            leases.evictUser(tenantId, userId, provider);
        }
    }

    /**
     * Tells keyvault the provider refused this key (HTTP 401), so the next call is served by the fallback key, and
     * drops it from the lease cache at once.
     * Fire and forget: the caller's answer never waits for it, and a failure only costs one more refused call.
     */
    public void reportRejected(UUID secretId, int status) {
        leases.evictSecret(secretId);
        client.post().uri("/v1/keys/{secretId}/rejected", secretId)
                .bodyValue(Map.of("reason", "the provider answered " + status + " to the key"))
                .retrieve()
                .toBodilessEntity()
                .timeout(timeout)
                .subscribe(done -> { }, error -> log.warn("Could not report rejected key {} to keyvault: {}",
                        secretId, error.toString()));
    }

    /** The key to inject for this caller and provider, or {@link NoProviderKeyException} / {@link VaultUnavailableException}. */
    public Mono<ResolvedKey> resolve(Caller caller, String provider) {
        return leases.get(caller.tenantId(), caller.userId(), provider, () -> fetch(caller, provider));
    }

    private Mono<ResolvedKey> fetch(Caller caller, String provider) {
        return client.post().uri("/v1/resolve")
                .bodyValue(new ResolveKeyRequest(caller.tenantId(), caller.userId(), provider))
                .retrieve()
                .bodyToMono(ResolvedKey.class)
                .timeout(timeout)
                .onErrorMap(WebClientResponseException.class, ex -> ex.getStatusCode() == HttpStatus.NOT_FOUND
                        ? new NoProviderKeyException(provider, ex.getResponseBodyAsString().contains(NO_USABLE_KEY))
                        : new VaultUnavailableException("the key vault answered " + ex.getStatusCode().value()))
                .onErrorMap(WebClientRequestException.class,
                        ex -> new VaultUnavailableException("the key vault is unreachable"))
                .onErrorMap(java.util.concurrent.TimeoutException.class,
                        ex -> new VaultUnavailableException("the key vault did not answer in time"));
    }
}
