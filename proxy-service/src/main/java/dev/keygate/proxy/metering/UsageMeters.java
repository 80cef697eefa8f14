package dev.keygate.proxy.metering;

import java.util.function.LongPredicate;
import java.util.function.LongSupplier;

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

    /**
     * A guard for a streamed answer of a call under hard budgets.
     *
     * @param reserved the tokens the call holds at the moment
     * @param extend reserves that many tokens more, or answers false
     */
    public StreamBudgetGuard guard(String provider, LongSupplier reserved, LongPredicate extend) {
        return new StreamBudgetGuard(json, provider, reserved, extend);
    }
}
