package dev.keygate.proxy.metering;

import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/** Creates the right {@link UsageMeter} for a provider's answer. */
@Component
public class UsageMeters {

    private final JsonMapper json;
    private final int maxBody;

    UsageMeters(JsonMapper json, MeteringProperties properties) {
        this.json = json;
        this.maxBody = (int) Math.min(Integer.MAX_VALUE, properties.maxJsonBody().toBytes());
    }

    public UsageMeter forAnswer(String provider, MediaType contentType) {
        boolean eventStream = contentType != null && MediaType.TEXT_EVENT_STREAM.isCompatibleWith(contentType);
        return new UsageMeter(json, UsageReader.forProvider(provider), eventStream, maxBody);
    }
}
