package dev.keygate.proxy.forwarding;

import java.util.Map;

import jakarta.validation.Valid;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * The tool APIs behind {@code /api/proxy/tools/{tool}/**} (seed 000: Brave, E2B, Exa, ...), by the catalog's tool
 * name, which is also the name their keys are stored under.
 */
@Validated
@ConfigurationProperties("keygate.proxy")
public record ToolProperties(Map<String, ProxyProperties.@Valid Provider> tools) {

    public ToolProperties {
        tools = tools == null ? Map.of() : Map.copyOf(tools);
    }
}
