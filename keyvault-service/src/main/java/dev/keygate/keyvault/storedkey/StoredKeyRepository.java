package dev.keygate.keyvault.storedkey;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.data.jpa.repository.JpaRepository;

interface StoredKeyRepository extends JpaRepository<StoredKey, UUID> {

    Optional<StoredKey> findByTenantIdAndOwnerTypeAndOwnerIdAndProviderAndPriority(String tenantId, String ownerType,
            String ownerId, String provider, int priority);

    List<StoredKey> findByTenantIdAndOwnerTypeAndOwnerIdAndProviderOrderByPriority(String tenantId, String ownerType,
            String ownerId, String provider);

    List<StoredKey> findByTenantIdAndOwnerTypeAndOwnerIdOrderByProviderAscPriorityAsc(String tenantId,
            String ownerType, String ownerId);
}
