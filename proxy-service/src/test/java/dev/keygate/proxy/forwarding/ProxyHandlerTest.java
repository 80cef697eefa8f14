package dev.keygate.proxy.forwarding;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProxyHandlerTest {

    @Test
    void namesOperationsByTheirPathWithoutTheVersion() {
        assertThat(ProxyHandler.operation("/v1/chat/completions")).isEqualTo("chat.completions");
        assertThat(ProxyHandler.operation("/v1/messages")).isEqualTo("messages");
        assertThat(ProxyHandler.operation("/v1beta/models/gemini-pro:generateContent"))
                .isEqualTo("models.gemini-pro:generateContent");
        assertThat(ProxyHandler.operation("/")).isEmpty();
    }
}
