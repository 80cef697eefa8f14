package dev.keygate.proxy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/** Feature packages depend on each other in one direction only: no cycles between them. */
class ArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.keygate.proxy");

    @Test
    void featurePackagesAreFreeOfCycles() {
        slices().matching("dev.keygate.proxy.(*)..").should().beFreeOfCycles().check(CLASSES);
    }
}
