package dev.keygate.admin.provider;

import java.util.Arrays;
import java.util.Optional;

/** What a provider serves: a language model priced per token, or a tool API (search, sandboxes). */
enum ProviderKind {

    LLM("llm"),
    TOOL("tool");

    private final String wire;

    ProviderKind(String wire) {
        this.wire = wire;
    }

    String wire() {
        return wire;
    }

    static Optional<ProviderKind> fromWire(String value) {
        return Arrays.stream(values()).filter(kind -> kind.wire.equals(value)).findFirst();
    }
}
