package dev.keygate.admin.license;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.data.jpa.repository.JpaRepository;

interface LicenseActivationRepository extends JpaRepository<LicenseActivation, UUID> {

    Optional<LicenseActivation> findByLicenseIdAndHardwareIdHash(UUID licenseId, String hardwareIdHash);

    List<LicenseActivation> findByLicenseIdOrderByActivatedAtAsc(UUID licenseId);

    long countByLicenseIdAndDeactivatedAtIsNull(UUID licenseId);

    List<LicenseActivation> findByLicenseIdInAndDeactivatedAtIsNull(Collection<UUID> licenseIds);
}
