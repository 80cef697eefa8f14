package dev.keygate.admin.providerkey;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.data.jpa.repository.JpaRepository;

interface ProviderKeyRepository extends JpaRepository<ProviderKey, UUID> {

    Optional<ProviderKey> findByTenantIdAndUserIdAndProvider(String tenantId, String userId, String provider);

    List<ProviderKey> findByTenantIdAndUserIdOrderByProvider(String tenantId, String userId);
}
