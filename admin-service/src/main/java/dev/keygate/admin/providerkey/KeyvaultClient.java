package dev.keygate.admin.providerkey;

import dev.keygate.admin.system.InvalidRequestException;
import dev.keygate.admin.system.UpstreamUnavailableException;
import dev.keygate.contracts.keyvault.v1.AuditEntry;
import dev.keygate.contracts.keyvault.v1.StoreKeyRequest;
import dev.keygate.contracts.keyvault.v1.StoredKeyMetadata;
import java.util.List;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.HttpMessageNotWritableException;
import org.springframework.boot.restclient.autoconfigure.RestClientSsl;
import org.springframework.stereotype.Component;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientResponseException;

/**
 * admin-service's mTLS client to keyvault-service, presenting the {@code spiffe://keygate/admin-service} identity:
 * it may store, replace and delete keys and read their metadata, never a key.
 */
@Component
class KeyvaultClient {

    private final RestClient client;

    KeyvaultClient(RestClient.Builder builder, RestClientSsl ssl, @Value("${keygate.keyvault.url}") String url) {
        this.client = builder.baseUrl(url).apply(ssl.fromBundle("keyvault-client")).build();
    }

    StoredKeyMetadata storeUserKey(String tenantId, String userId, String provider, String key) {
        return call(() -> client.put()
                .uri("/v1/tenants/{tenant}/users/{user}/keys/{provider}", tenantId, userId, provider)
                .body(new StoreKeyRequest(key))
                .retrieve()
                .body(StoredKeyMetadata.class));
    }

    StoredKeyMetadata storeOrganisationKey(String tenantId, String provider, String key, String label) {
        return call(() -> client.put()
                .uri("/v1/tenants/{tenant}/keys/{provider}", tenantId, provider)
                .body(new StoreKeyRequest(key, label))
                .retrieve()
                .body(StoredKeyMetadata.class));
    }

    List<StoredKeyMetadata> listOrganisationKeys(String tenantId) {
        return call(() -> client.get()
                .uri("/v1/tenants/{tenant}/keys", tenantId)
                .retrieve()
                .body(new ParameterizedTypeReference<List<StoredKeyMetadata>>() { }));
    }

    boolean deleteOrganisationKey(String tenantId, String provider) {
        return call(() -> client.delete()
                .uri("/v1/tenants/{tenant}/keys/{provider}", tenantId, provider)
                .retrieve()
                .onStatus(status -> status.value() == 404, (request, response) -> { })
                .toBodilessEntity()
                .getStatusCode().value() != 404);
    }

    List<AuditEntry> audit(String tenantId, String ownerId, int limit) {
        return call(() -> client.get()
                .uri(builder -> builder.path("/v1/audit").queryParam("tenantId", tenantId)
                        .queryParam("ownerId", ownerId).queryParam("limit", limit).build())
                .retrieve()
                .body(new ParameterizedTypeReference<List<AuditEntry>>() { }));
    }

    void deleteUserKey(String tenantId, String userId, String provider) {
        call(() -> client.delete()
                .uri("/v1/tenants/{tenant}/users/{user}/keys/{provider}", tenantId, userId, provider)
                .retrieve()
                .onStatus(status -> status.value() == 404, (request, response) -> { })
                .toBodilessEntity());
    }

    private static <T> T call(java.util.function.Supplier<T> request) {
        try {
            return request.get();
        }
        catch (HttpClientErrorException.BadRequest ex) {
            // keyvault's detail names what is wrong with the key without quoting it.
            ProblemDetail problem = ex.getResponseBodyAs(ProblemDetail.class);
            String detail = problem != null && problem.getDetail() != null ? problem.getDetail() : "the key was refused";
            throw new InvalidRequestException("The key store refused the key: " + detail);
        }
        catch (RestClientResponseException ex) {
            throw new UpstreamUnavailableException("The key store answered " + ex.getStatusCode().value()
                    + "; try again shortly.");
        }
        catch (ResourceAccessException ex) {
            throw new UpstreamUnavailableException("The key store is unreachable; try again shortly.", ex);
        }
        catch (HttpMessageNotWritableException ex) {
            // Jackson 3 wraps the I/O error of a connection refused while the body streams out as a write failure.
            throw new UpstreamUnavailableException("The key store is unreachable; try again shortly.", ex);
        }
    }
}
