package dev.keygate.usage.reporting;

import java.time.Instant;
import java.util.List;

import dev.keygate.usage.ledger.ModelUsage;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** A tenant's usage per provider and model over whole UTC hours {@code [from, to)}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record UsageSummary(Instant from, Instant to, List<ModelUsage> models) {
}
