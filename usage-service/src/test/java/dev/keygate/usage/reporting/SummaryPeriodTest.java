package dev.keygate.usage.reporting;

import java.time.Instant;

import dev.keygate.usage.system.InvalidRequestException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SummaryPeriodTest {

    @Test
    void widensThePeriodToTheWholeHoursThatContainIt() {
        SummaryPeriod period = SummaryPeriod.covering(Instant.parse("2026-03-01T10:30:00Z"),
                Instant.parse("2026-03-01T12:00:01Z"));

        assertThat(period).isEqualTo(new SummaryPeriod(Instant.parse("2026-03-01T10:00:00Z"),
                Instant.parse("2026-03-01T13:00:00Z")));
    }

    @Test
    void keepsAPeriodThatAlreadyStartsAndEndsOnTheHour() {
        SummaryPeriod period = SummaryPeriod.covering(Instant.parse("2026-03-01T10:00:00Z"),
                Instant.parse("2026-03-02T00:00:00Z"));

        assertThat(period).isEqualTo(new SummaryPeriod(Instant.parse("2026-03-01T10:00:00Z"),
                Instant.parse("2026-03-02T00:00:00Z")));
    }

    @Test
    void refusesAPeriodThatEndsBeforeItStarts() {
        Instant now = Instant.parse("2026-03-01T10:00:00Z");

        assertThatThrownBy(() -> SummaryPeriod.covering(now, now)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("'from' must be before 'to'");
        assertThatThrownBy(() -> SummaryPeriod.covering(now, now.minusSeconds(1)))
                .isInstanceOf(InvalidRequestException.class);
    }
}
