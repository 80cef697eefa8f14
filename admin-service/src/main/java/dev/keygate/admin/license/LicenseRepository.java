package dev.keygate.admin.license;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.persistence.LockModeType;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;

interface LicenseRepository extends JpaRepository<License, UUID> {

    List<License> findByTenantIdOrderByCreatedAtDesc(String tenantId);

    Optional<License> findByIdAndTenantId(UUID id, String tenantId);

    /** Locks the license row: activations of one license run one at a time, so its device count stays exact. */
    @Lock(LockModeType.PESSIMISTIC_WRITE)
    Optional<License> findLockedByKeyHash(String keyHash);

    @Lock(LockModeType.PESSIMISTIC_WRITE)
    Optional<License> findLockedByIdAndTenantId(UUID id, String tenantId);
}
