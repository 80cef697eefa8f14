package dev.keygate.proxy.limits;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The proxy's own limits, per instance (counters live in memory; see docs/limits.md).
 *
 * @param ip the limit on every request from one client address, checked before authentication
 * @param maxInFlightPerKey calls one proxy key may have in progress at once; 0 turns the cap off
 * @param maxInFlightPerUser calls one user (all their keys and tokens together) may have in progress; 0 turns it off
 * @param maxRequestBody the largest request body the proxy forwards; larger ones are refused with 413
 * @param bodyReadTimeout the longest pause between two reads of a request body, and
 * @param maxBodyReadTime the longest time reading one request body may take: a client that sends its headers and then
 *                        trickles or stops its body (slow loris) is answered 408 and its connection closed instead of
 *                        holding a connection and an upstream call open (docs/reliability.md)
 * @param sweepInterval how often counters of past windows are dropped from memory
 * @param cors browser origins allowed per tenant id
 */
@Validated
@ConfigurationProperties("keygate.proxy.limits")
public record LimitsProperties(@Valid @NotNull @DefaultValue Ip ip,
                               @Min(0) @DefaultValue("64") int maxInFlightPerKey,
                               @Min(0) @DefaultValue("128") int maxInFlightPerUser,
                               @NotNull @DefaultValue("10MB") DataSize maxRequestBody,
                               @NotNull @DefaultValue("30s") Duration bodyReadTimeout,
                               @NotNull @DefaultValue("5m") Duration maxBodyReadTime,
                               @NotNull @DefaultValue("30s") Duration sweepInterval,
                               @Valid @NotNull @DefaultValue Cors cors) {

    /**
     * @param requests requests one address may send per window; 0 turns the limit off
     * @param window the window length (aligned to the epoch)
     * @param failedAuthentications refused credentials one address may present per window before all its requests
     *                              are refused until the window ends; 0 turns this off
     */
    public record Ip(@Min(0) @DefaultValue("1200") int requests, @NotNull @DefaultValue("60s") Duration window,
                     @Min(0) @DefaultValue("30") int failedAuthentications) {
    }

    /**
     * @param allowedOrigins per tenant id, the exact origins ({@code https://app.example.com}) whose pages may call
     *                       the proxy; {@code *} is never honoured
     * @param maxAge how long a browser may cache a preflight answer
     */
    public record Cors(@NotNull @DefaultValue Map<String, List<String>> allowedOrigins,
                       @NotNull @DefaultValue("10m") Duration maxAge) {
    }
}
