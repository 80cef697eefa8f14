package dev.keygate.admin.quota;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.data.jpa.repository.JpaRepository;

interface QuotaPolicyRepository extends JpaRepository<QuotaPolicy, UUID> {

    List<QuotaPolicy> findByTenantIdOrderByScopeAscSubjectAsc(String tenantId);

    Optional<QuotaPolicy> findByIdAndTenantId(UUID id, String tenantId);

    boolean existsByTenantIdAndScopeAndSubject(String tenantId, String scope, String subject);
}
