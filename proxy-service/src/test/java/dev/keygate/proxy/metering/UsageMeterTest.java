package dev.keygate.proxy.metering;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.keygate.contracts.usage.v1.TokenUsage;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

class UsageMeterTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void readsTheFinalUsageChunkOfAnOpenAiStreamEvenWhenSplitAcrossBuffers() {
        String stream = """
                data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""}}],"usage":null}

                data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hi"}}],"usage":null}

                data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}}

                data: [DONE]

                """;
        UsageMeter meter = new UsageMeter(JSON, new OpenAiUsageReader(), true, 1 << 20);

        for (DataBuffer piece : split(stream, 7)) {
            meter.accept(piece);
            assertThat(piece.readableByteCount()).as("the meter leaves the buffer for the client").isPositive();
        }

        UsageMeter.MeteredUsage used = meter.finish();
        assertThat(used.model()).isEqualTo("gpt-4o-mini");
        assertThat(used.usage()).isEqualTo(new TokenUsage(19, 10, 4, 0, 2));
    }

    @Test
    void anOpenAiStreamWithoutUsageCountsNothingButKeepsTheModel() {
        String stream = "data: {\"model\":\"gpt-4o\",\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\r\n\r\ndata: [DONE]\r\n\r\n";
        UsageMeter meter = new UsageMeter(JSON, new OpenAiUsageReader(), true, 1 << 20);

        split(stream, 5).forEach(meter::accept);

        assertThat(meter.finish()).isEqualTo(new UsageMeter.MeteredUsage("gpt-4o", TokenUsage.NONE));
    }

    @Test
    void addsAnthropicCacheTokensToInputAndTakesTheLastCumulativeOutput() {
        String stream = """
                event: message_start
                data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-haiku-20240307","content":[],"usage":{"input_tokens":25,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"output_tokens":1}}}

                event: content_block_delta
                data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

                event: message_delta
                data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}

                event: message_stop
                data: {"type":"message_stop"}

                """;
        UsageMeter meter = new UsageMeter(JSON, new AnthropicUsageReader(), true, 1 << 20);

        split(stream, 11).forEach(meter::accept);

        UsageMeter.MeteredUsage used = meter.finish();
        assertThat(used.model()).isEqualTo("claude-3-haiku-20240307");
        assertThat(used.usage()).isEqualTo(new TokenUsage(2125, 15, 2000, 100, 0));
    }

    @Test
    void readsAJsonAnswerAtItsEnd() {
        String body = "{\"id\":\"msg_1\",\"type\":\"message\",\"model\":\"claude-3-5-sonnet\",\"content\":[],"
                + "\"usage\":{\"input_tokens\":12,\"output_tokens\":7}}";
        UsageMeter meter = new UsageMeter(JSON, new AnthropicUsageReader(), false, 1 << 20);

        split(body, 9).forEach(meter::accept);

        assertThat(meter.finish().usage()).isEqualTo(new TokenUsage(12, 7, 0, 0, 0));
    }

    @Test
    void aJsonAnswerLargerThanTheCapIsPassedOnButNotParsed() {
        String body = "{\"model\":\"gpt-4o\",\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1},\"pad\":\""
                + "x".repeat(200) + "\"}";
        UsageMeter meter = new UsageMeter(JSON, new OpenAiUsageReader(), false, 64);

        split(body, 16).forEach(meter::accept);

        assertThat(meter.finish().usage()).isEqualTo(TokenUsage.NONE);
    }

    @Test
    void anHtmlErrorPageCountsNothing() {
        UsageMeter meter = new UsageMeter(JSON, new OpenAiUsageReader(), false, 1 << 20);

        split("<html><body>502 Bad Gateway</body></html>", 8).forEach(meter::accept);

        assertThat(meter.finish().usage()).isEqualTo(TokenUsage.NONE);
    }

    @Test
    void findsTheUsageWhereverTheStreamIsCutBetweenTwoBuffers() {
        String stream = "data: {\"model\":\"gpt-4o-mini\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\r\n\r\n"
                + "data: {\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":19,"
                + "\"completion_tokens\":10}}\r\n\r\ndata: [DONE]\r\n\r\n";
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        for (int cut = 1; cut < bytes.length; cut++) {
            UsageMeter meter = new UsageMeter(JSON, new OpenAiUsageReader(), true, 1 << 20);

            meter.accept(DefaultDataBufferFactory.sharedInstance.wrap(java.util.Arrays.copyOfRange(bytes, 0, cut)));
            meter.accept(DefaultDataBufferFactory.sharedInstance.wrap(java.util.Arrays.copyOfRange(bytes, cut,
                    bytes.length)));

            assertThat(meter.finish()).as("cut at %d", cut)
                    .isEqualTo(new UsageMeter.MeteredUsage("gpt-4o-mini", new TokenUsage(19, 10, 0, 0, 0)));
        }
    }

    @Test
    void readsAStreamArrivingOneByteAtATimeAndLeavesEveryBufferAsItWas() {
        String stream = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-3-haiku\","
                + "\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\nevent: message_delta\n"
                + "data: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":15}}\n\n";
        UsageMeter meter = new UsageMeter(JSON, new AnthropicUsageReader(), true, 1 << 20);
        StringBuilder relayed = new StringBuilder();

        for (DataBuffer piece : split(stream, 1)) {
            meter.accept(piece);
            relayed.append(piece.toString(StandardCharsets.UTF_8));
        }

        assertThat(relayed.toString()).as("what the client gets is untouched").isEqualTo(stream);
        assertThat(meter.finish()).isEqualTo(new UsageMeter.MeteredUsage("claude-3-haiku",
                new TokenUsage(25, 15, 0, 0, 0)));
    }

    @Test
    void readsTheLastEventEvenWithoutItsFinalNewline() {
        UsageMeter meter = new UsageMeter(JSON, new OpenAiUsageReader(), true, 1 << 20);

        split("data: {\"model\":\"gpt-4o\",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}", 6)
                .forEach(meter::accept);

        assertThat(meter.finish().usage()).isEqualTo(new TokenUsage(3, 4, 0, 0, 0));
    }

    @Test
    void skipsALineLongerThanAMegabyteAndReadsTheEventsAfterIt() {
        // Anthropic's counts only ever rise: a parsed long line would leave 1000 output tokens.
        String stream = "data: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-3-haiku\","
                + "\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n"
                + "data: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":1000},\"pad\":\""
                + "x".repeat(1 << 20) + "\"}\n\n"
                + "data: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":15}}\n\n";
        for (int size : new int[] {8192, stream.length()}) {
            UsageMeter meter = new UsageMeter(JSON, new AnthropicUsageReader(), true, 1 << 20);

            split(stream, size).forEach(meter::accept);

            assertThat(meter.finish()).as("in buffers of %d bytes", size).isEqualTo(new UsageMeter.MeteredUsage(
                    "claude-3-haiku", new TokenUsage(25, 15, 0, 0, 0)));
        }
    }

    @Test
    void readsAJsonAnswerWhereverItIsCut() {
        byte[] body = ("{\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":7,"
                + "\"completion_tokens\":2}}").getBytes(StandardCharsets.UTF_8);
        for (int cut = 1; cut < body.length; cut++) {
            UsageMeter meter = new UsageMeter(JSON, new OpenAiUsageReader(), false, 1 << 20);

            meter.accept(DefaultDataBufferFactory.sharedInstance.wrap(java.util.Arrays.copyOfRange(body, 0, cut)));
            meter.accept(DefaultDataBufferFactory.sharedInstance.wrap(java.util.Arrays.copyOfRange(body, cut,
                    body.length)));

            assertThat(meter.finish().usage()).as("cut at %d", cut).isEqualTo(new TokenUsage(7, 2, 0, 0, 0));
        }
    }

    private static List<DataBuffer> split(String text, int size) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        List<DataBuffer> pieces = new ArrayList<>();
        for (int i = 0; i < bytes.length; i += size) {
            byte[] piece = java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + size));
            pieces.add(DefaultDataBufferFactory.sharedInstance.wrap(piece));
        }
        return pieces;
    }
}
