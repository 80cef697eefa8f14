package dev.keygate.proxy.metering;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import reactor.core.publisher.Flux;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

class StreamBudgetGuardTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final AtomicLong reserved = new AtomicLong();
    private final List<Long> extensions = new ArrayList<>();
    private boolean canExtend;

    @Test
    void anOpenAiStreamPastItsReservationEndsAfterTheEventThatCrossedWithALengthFinishAndDone() {
        reserved.set(5);
        StreamBudgetGuard guard = guard("openai");
        AtomicBoolean cancelled = new AtomicBoolean();

        String relayed = relay(guard, Flux.fromIterable(perEvent(openAiStream(10)))
                .doOnCancel(() -> cancelled.set(true)));

        List<String> events = events(relayed);
        assertThat(events.subList(0, 7)).as("the role chunk and six content chunks, as the provider sent them")
                .containsExactlyElementsOf(events(openAiStream(10)).subList(0, 7));
        assertThat(events).hasSize(9);
        JsonNode finish = JSON.readTree(events.get(7).substring("data: ".length()));
        assertThat(finish.path("object").asString()).isEqualTo("chat.completion.chunk");
        assertThat(finish.path("id").asString()).isEqualTo("chatcmpl-1");
        assertThat(finish.path("model").asString()).isEqualTo("gpt-4o-mini");
        assertThat(finish.path("choices").get(0).path("finish_reason").asString()).isEqualTo("length");
        assertThat(events.get(8)).isEqualTo("data: [DONE]");
        assertThat(cancelled).as("the upstream call is cancelled").isTrue();
        assertThat(guard.cut()).isTrue();
        assertThat(guard.usedAtLeast().outputTokens()).isEqualTo(6);
        assertThat(extensions).as("it tried to reserve more first").containsExactly(1024L);
    }

    @Test
    void aStreamWhoseSharesCoverMorePassesThroughUntouchedReservingMoreAsItGoes() {
        reserved.set(3);
        canExtend = true;
        StreamBudgetGuard guard = guard("openai");
        List<DataBuffer> upstream = chunks(openAiStream(10), 7);
        List<DataBuffer> sent = new ArrayList<>(upstream);

        List<DataBuffer> relayed = guard.guard(Flux.fromIterable(upstream)).collectList().block();

        assertThat(relayed).as("the very buffers the provider sent").containsExactlyElementsOf(sent);
        assertThat(guard.cut()).isFalse();
        assertThat(extensions).containsExactly(1024L);
        relayed.forEach(DataBufferUtils::release);
    }

    @Test
    void anEventSplitAcrossBuffersIsRelayedWholeBeforeTheCut() {
        reserved.set(2);
        StreamBudgetGuard guard = guard("openai");

        String relayed = relay(guard, Flux.fromIterable(chunks(openAiStream(10), 7)));

        List<String> events = events(relayed);
        assertThat(events.subList(0, 4)).containsExactlyElementsOf(events(openAiStream(10)).subList(0, 4));
        assertThat(events.get(4)).contains("\"finish_reason\":\"length\"");
        assertThat(events.get(5)).isEqualTo("data: [DONE]");
        assertThat(relayed).as("nothing of the event after the cut").endsWith("data: [DONE]\n\n");
    }

    @Test
    void anAnthropicStreamClosesItsOpenBlockAndStopsForMaxTokens() {
        reserved.set(13);
        StreamBudgetGuard guard = guard("anthropic");

        String relayed = relay(guard, Flux.fromIterable(chunks(anthropicStream(10, 8), 64)));

        List<String> events = events(relayed);
        assertThat(events).as("message_start, content_block_start and four deltas (10 input + 4 output > 13)")
                .hasSize(6 + 3);
        assertThat(events.get(5)).contains("content_block_delta").contains("\"text\":\"t3\"");
        assertThat(events.get(6)).startsWith("event: content_block_stop\n")
                .contains("{\"type\":\"content_block_stop\",\"index\":0}");
        JsonNode delta = JSON.readTree(events.get(7).substring(events.get(7).indexOf("data: ") + 6));
        assertThat(delta.path("type").asString()).isEqualTo("message_delta");
        assertThat(delta.path("delta").path("stop_reason").asString()).isEqualTo("max_tokens");
        assertThat(delta.path("usage").path("output_tokens").asLong()).isEqualTo(4);
        assertThat(events.get(8)).isEqualTo("event: message_stop\ndata: {\"type\":\"message_stop\"}");
        assertThat(guard.usedAtLeast().inputTokens()).as("Anthropic's input count from message_start").isEqualTo(10);
    }

    @Test
    void aStreamWithinItsReservationIsNeitherExtendedNorCut() {
        reserved.set(100);
        StreamBudgetGuard guard = guard("anthropic");

        String relayed = relay(guard, Flux.fromIterable(chunks(anthropicStream(10, 8), 5)));

        assertThat(relayed).isEqualTo(anthropicStream(10, 8));
        assertThat(guard.cut()).isFalse();
        assertThat(extensions).isEmpty();
    }

    private StreamBudgetGuard guard(String provider) {
        return new StreamBudgetGuard(JSON, provider, reserved::get, tokens -> {
            extensions.add(tokens);
            if (canExtend) {
                reserved.addAndGet(tokens);
            }
            return canExtend;
        });
    }

    private static String relay(StreamBudgetGuard guard, Flux<DataBuffer> upstream) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        guard.guard(upstream).doOnNext(buffer -> {
            byte[] bytes = new byte[buffer.readableByteCount()];
            buffer.read(bytes);
            DataBufferUtils.release(buffer);
            out.writeBytes(bytes);
        }).blockLast();
        return out.toString(StandardCharsets.UTF_8);
    }

    private static List<String> events(String stream) {
        return List.of(stream.split("\n\n"));
    }

    /** The stream cut into buffers of {@code size} bytes, ignoring event boundaries, as TCP may deliver it. */
    private static List<DataBuffer> chunks(String stream, int size) {
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        List<DataBuffer> buffers = new ArrayList<>();
        for (int from = 0; from < bytes.length; from += size) {
            byte[] piece = java.util.Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + size));
            buffers.add(DefaultDataBufferFactory.sharedInstance.wrap(piece));
        }
        return buffers;
    }

    /** One buffer per event, as a provider that flushes each event writes it. */
    private static List<DataBuffer> perEvent(String stream) {
        return events(stream).stream().<DataBuffer>map(event -> DefaultDataBufferFactory.sharedInstance
                .wrap((event + "\n\n").getBytes(StandardCharsets.UTF_8))).toList();
    }

    private static String openAiStream(int tokens) {
        String head = "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                + "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":%s}]}\n\n";
        return head.formatted("{\"role\":\"assistant\",\"content\":\"\"}", "null")
                + IntStream.range(0, tokens).mapToObj(i -> head.formatted("{\"content\":\"t" + i + "\"}", "null"))
                .collect(Collectors.joining())
                + head.formatted("{}", "\"stop\"")
                + "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":"
                + "\"gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":" + tokens
                + ",\"total_tokens\":" + (7 + tokens) + "}}\n\n"
                + "data: [DONE]\n\n";
    }

    private static String anthropicStream(int input, int tokens) {
        return "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":"
                + "\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"usage\":"
                + "{\"input_tokens\":" + input + ",\"output_tokens\":1}}}\n\n"
                + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
                + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
                + IntStream.range(0, tokens).mapToObj(i -> "event: content_block_delta\ndata: {\"type\":"
                + "\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"t" + i
                + "\"}}\n\n").collect(Collectors.joining())
                + "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
                + "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
                + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":" + tokens + "}}\n\n"
                + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    }
}
