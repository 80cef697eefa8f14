package dev.keygate.proxy.limits;

import java.time.Duration;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * How the proxy holds shares of hard budgets (docs/quotas.md, "Budget shares").
 *
 * @param enabled whether calls under a hard budget reserve their worst case against a share; off, hard budgets are
 *                enforced only once usage-service publishes them exhausted
 * @param shareWait how long a call may wait for usage-service to answer a share request before it is refused (503)
 * @param defaultMaxOutputTokens the output a call is assumed to need at most when its body sets no limit
 *                               ({@code max_tokens}, {@code max_completion_tokens}, {@code max_output_tokens},
 *                               {@code generationConfig.maxOutputTokens})
 */
@Validated
@ConfigurationProperties("keygate.proxy.budgets")
public record BudgetShareProperties(@DefaultValue("true") boolean enabled,
                                    @NotNull @DefaultValue("2s") Duration shareWait,
                                    @Min(1) @DefaultValue("4096") long defaultMaxOutputTokens) {
}
