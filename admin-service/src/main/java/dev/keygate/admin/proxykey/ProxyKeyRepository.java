package dev.keygate.admin.proxykey;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.data.jpa.repository.JpaRepository;

interface ProxyKeyRepository extends JpaRepository<ProxyKey, UUID> {

    List<ProxyKey> findByTenantIdAndUserIdOrderByCreatedAtDesc(String tenantId, String userId);

    boolean existsByIdAndTenantId(UUID id, String tenantId);

    Optional<ProxyKey> findByIdAndTenantIdAndUserId(UUID id, String tenantId, String userId);
}
