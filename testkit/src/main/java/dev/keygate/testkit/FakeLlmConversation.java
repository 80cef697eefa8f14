package dev.keygate.testkit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import tools.jackson.databind.JsonNode;

/**
 * What the fake provider makes of a chat request, for both wire formats: how many prompt tokens it "counts" and the
 * canned reply it gives. Everything here is deterministic; {@link FakeLlmProvider} documents the formula.
 */
final class FakeLlmConversation {

    static final String REPLY_PREFIX = "Hello from the fake provider. You said: ";
    static final String NOTHING_SAID = "nothing";
    static final int QUOTED_WORDS = 12;
    static final int TOKENS_PER_MESSAGE = 3;
    static final int REPLY_PRIMING_TOKENS = 3;

    private final int promptWords;
    private final int messageCount;
    private final String firstUserText;

    private FakeLlmConversation(int promptWords, int messageCount, String firstUserText) {
        this.promptWords = promptWords;
        this.messageCount = messageCount;
        this.firstUserText = firstUserText;
    }

    /**
     * Reads an OpenAI Chat Completions or Anthropic Messages request body. Anthropic's top-level {@code system} prompt
     * counts as one more message; OpenAI carries system prompts inside {@code messages} already.
     */
    static FakeLlmConversation of(JsonNode request) {
        int words = 0;
        int messages = 0;
        String firstUser = null;
        String system = text(request.path("system"));
        if (!system.isBlank()) {
            words += countWords(system);
            messages++;
        }
        JsonNode list = request.path("messages");
        if (list.isArray()) {
            for (JsonNode message : list.values()) {
                String content = text(message.path("content"));
                words += countWords(content);
                messages++;
                if (firstUser == null && "user".equals(string(message.path("role")))) {
                    firstUser = content;
                }
            }
        }
        return new FakeLlmConversation(words, messages, firstUser);
    }

    /** The prompt tokens: words of all prompt text, plus {@value #TOKENS_PER_MESSAGE} a message, plus priming. */
    int promptTokens() {
        return promptWords + TOKENS_PER_MESSAGE * messageCount + REPLY_PRIMING_TOKENS;
    }

    String reply() {
        return replyTo(firstUserText);
    }

    /** The completion tokens: one a word of the reply, which is also how the reply is streamed. */
    int completionTokens() {
        return countWords(reply());
    }

    FakeLlmProvider.Usage usage() {
        return new FakeLlmProvider.Usage(promptTokens(), completionTokens());
    }

    /** The reply cut into its stream deltas: one word each, every word after the first with its leading space. */
    List<String> replyPieces() {
        String[] words = reply().split(" ");
        List<String> pieces = new ArrayList<>(words.length);
        for (int i = 0; i < words.length; i++) {
            pieces.add(i == 0 ? words[i] : " " + words[i]);
        }
        return pieces;
    }

    static String replyTo(String firstUserMessage) {
        String quoted = firstUserMessage == null ? "" : words(firstUserMessage)
                .limit(QUOTED_WORDS)
                .collect(Collectors.joining(" "));
        return REPLY_PREFIX + (quoted.isEmpty() ? NOTHING_SAID : quoted);
    }

    static int countWords(String text) {
        return text == null ? 0 : (int) words(text).count();
    }

    private static Stream<String> words(String text) {
        return Arrays.stream(text.trim().split("\\s+")).filter(word -> !word.isEmpty());
    }

    /** A message's text: a plain string, or the {@code text} of every {@code {"type":"text"}} part or block. */
    private static String text(JsonNode content) {
        if (content.isString()) {
            return content.stringValue();
        }
        if (!content.isArray()) {
            return "";
        }
        List<String> texts = new ArrayList<>();
        for (JsonNode part : content.values()) {
            if ("text".equals(string(part.path("type"))) && part.path("text").isString()) {
                texts.add(part.path("text").stringValue());
            }
        }
        return String.join(" ", texts);
    }

    private static String string(JsonNode node) {
        return node.isString() ? node.stringValue() : null;
    }
}
