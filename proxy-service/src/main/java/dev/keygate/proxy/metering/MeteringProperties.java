package dev.keygate.proxy.metering;

import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * @param maxJsonBody how much of a non-streamed JSON answer is kept to read its usage; the answer itself always
 * passes through whole
 */
@Validated
@ConfigurationProperties("keygate.proxy.metering")
record MeteringProperties(@NotNull DataSize maxJsonBody) {
}
