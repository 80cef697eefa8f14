package dev.keygate.usage;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** Features meet only through the ledger's public types; the ledger depends on no feature above it. */
class ArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.keygate.usage");

    @Test
    void ledgerKnowsNothingOfIngestOrReporting() {
        noClasses().that().resideInAPackage("..usage.ledger..")
                .should().dependOnClassesThat().resideInAnyPackage("..usage.ingest..", "..usage.reporting..")
                .check(CLASSES);
    }

    @Test
    void ingestAndReportingDoNotReachIntoEachOther() {
        noClasses().that().resideInAPackage("..usage.ingest..")
                .should().dependOnClassesThat().resideInAPackage("..usage.reporting..")
                .check(CLASSES);
        noClasses().that().resideInAPackage("..usage.reporting..")
                .should().dependOnClassesThat().resideInAPackage("..usage.ingest..")
                .check(CLASSES);
    }

    @Test
    void systemServesFeaturesWithoutDependingOnThem() {
        noClasses().that().resideInAPackage("..usage.system..")
                .should().dependOnClassesThat()
                .resideInAnyPackage("..usage.ingest..", "..usage.ledger..", "..usage.reporting..")
                .check(CLASSES);
    }
}
