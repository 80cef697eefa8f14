package dev.keygate.usage.reporting;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CsvTest {

    @Test
    void quotesFieldsWithSeparatorsQuotesAndLineBreaks() {
        String csv = new Csv().row(List.of("plain", "a,b", "say \"hi\"", "two\nlines", 42L))
                .row(Arrays.asList(null, new BigDecimal("1E-7"), "")).toString();
        assertThat(csv).isEqualTo("plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",42\r\n,0.0000001,\r\n");
    }

    @Test
    void defusesTextThatASpreadsheetWouldRunAsAFormula() {
        assertThat(Csv.field("=HYPERLINK(\"x\")")).isEqualTo("\"'=HYPERLINK(\"\"x\"\")\"");
        assertThat(Csv.field("@user")).isEqualTo("'@user");
        assertThat(Csv.field(-1L)).isEqualTo("-1");
    }

    @Test
    void prefersCsvOnlyWhenAskedFor() {
        assertThat(AnalyticsController.wantsCsv(null, "text/csv")).isTrue();
        assertThat(AnalyticsController.wantsCsv(null, "application/json, text/csv;q=0.5")).isFalse();
        assertThat(AnalyticsController.wantsCsv(null, "text/csv, application/json;q=0.9")).isTrue();
        assertThat(AnalyticsController.wantsCsv(null, "*/*")).isFalse();
        assertThat(AnalyticsController.wantsCsv("csv", "application/json")).isTrue();
        assertThat(AnalyticsController.wantsCsv(null, null)).isFalse();
    }
}
