package dev.keygate.proxy.forwarding;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import reactor.core.publisher.Flux;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

class UsageChunkFilterTest {

    private static final String CHUNK = "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n";
    private static final String USAGE = "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,"
            + "\"completion_tokens\":2,\"total_tokens\":11}}\n\n";
    private static final String DONE = "data: [DONE]\n\n";

    @Test
    void dropsOnlyTheUsageChunkAndKeepsEveryOtherEventByteForByte() {
        assertThat(filtered(List.of(CHUNK, CHUNK, USAGE, DONE))).isEqualTo(CHUNK + CHUNK + DONE);
    }

    @Test
    void putsEventsSplitAcrossWritesBackTogether() {
        String all = CHUNK + USAGE + DONE;
        List<String> pieces = List.of(all.substring(0, 7), all.substring(7, CHUNK.length() + 20),
                all.substring(CHUNK.length() + 20, all.length() - 3), all.substring(all.length() - 3));

        assertThat(filtered(pieces)).isEqualTo(CHUNK + DONE);
    }

    @Test
    void passesAnUnterminatedTailAtTheEnd() {
        assertThat(filtered(List.of(CHUNK, "data: {\"partial\""))).isEqualTo(CHUNK + "data: {\"partial\"");
    }

    @Test
    void asksForUsageOnlyForStreamsThatDidNotAskAndKeepsOtherStreamOptions() {
        JsonMapper json = JsonMapper.builder().build();

        assertThat(new String(StreamUsage.askingForUsage(
                "{\"stream\":true,\"stream_options\":{\"x\":1}}".getBytes(StandardCharsets.UTF_8), json),
                StandardCharsets.UTF_8)).isEqualTo("{\"stream\":true,\"stream_options\":{\"x\":1,\"include_usage\":true}}");
        assertThat(StreamUsage.askingForUsage("{\"stream\":false}".getBytes(StandardCharsets.UTF_8), json)).isNull();
        assertThat(StreamUsage.askingForUsage("{\"stream\":true,\"stream_options\":{\"include_usage\":true}}"
                .getBytes(StandardCharsets.UTF_8), json)).isNull();
        assertThat(StreamUsage.askingForUsage("not json".getBytes(StandardCharsets.UTF_8), json)).isNull();
        assertThat(StreamUsage.mayAsk("anthropic", org.springframework.http.HttpMethod.POST, "/v1/messages"))
                .isFalse();
    }

    private static String filtered(List<String> writes) {
        Flux<DataBuffer> stream = Flux.fromIterable(writes)
                .map(text -> DefaultDataBufferFactory.sharedInstance.wrap(text.getBytes(StandardCharsets.UTF_8)));
        return UsageChunkFilter.strip(stream).map(buffer -> {
            byte[] bytes = new byte[buffer.readableByteCount()];
            buffer.read(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }).collectList().map(parts -> String.join("", parts)).block();
    }
}
