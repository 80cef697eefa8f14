package dev.keygate.keyvault.storedkey;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.persistence.LockModeType;
import org.springframework.data.domain.Limit;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Query;

interface StoredKeyRepository extends JpaRepository<StoredKey, UUID> {

    Optional<StoredKey> findByTenantIdAndOwnerTypeAndOwnerIdAndProviderAndPriority(String tenantId, String ownerType,
            String ownerId, String provider, int priority);

    List<StoredKey> findByTenantIdAndOwnerTypeAndOwnerIdAndProviderOrderByPriority(String tenantId, String ownerType,
            String ownerId, String provider);

    List<StoredKey> findByTenantIdAndOwnerTypeAndOwnerIdOrderByProviderAscPriorityAsc(String tenantId,
            String ownerType, String ownerId);

    Optional<StoredKey> findByIdAndTenantId(UUID id, String tenantId);

    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select k from StoredKey k where k.id = ?1")
    Optional<StoredKey> lockById(UUID id);

    @Query("select k.id from StoredKey k where k.masterKeyVersion <> ?1 and k.id > ?2 order by k.id")
    List<UUID> wrappedByOtherThan(int masterKeyVersion, UUID after, Limit limit);

    @Query("select k.masterKeyVersion, count(k) from StoredKey k group by k.masterKeyVersion order by k.masterKeyVersion")
    List<Object[]> countByMasterKeyVersion();
}
