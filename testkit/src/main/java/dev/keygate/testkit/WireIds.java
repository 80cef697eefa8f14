package dev.keygate.testkit;

import java.util.concurrent.ThreadLocalRandom;

/** Identifiers shaped like the real providers' ones (prefix, length, alphabet); random, as theirs are. */
final class WireIds {

    private static final String ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final String BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    private static final String HEX = "0123456789abcdef";

    private WireIds() {
    }

    /** {@code chatcmpl-} and 29 letters or digits, like {@code chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT}. */
    static String openAiCompletionId() {
        return "chatcmpl-" + random(ALPHANUMERIC, 29);
    }

    /** OpenAI's {@code x-request-id}: {@code req_} and 32 hex digits. */
    static String openAiRequestId() {
        return "req_" + random(HEX, 32);
    }

    /** {@code msg_01} and 22 base58 characters, like {@code msg_013Zva2CMHLNnXjNJJKqJ2EF}. */
    static String anthropicMessageId() {
        return "msg_01" + random(BASE58, 22);
    }

    /** Anthropic's {@code request-id} header and error {@code request_id}: {@code req_011C} and 20 base58. */
    static String anthropicRequestId() {
        return "req_011C" + random(BASE58, 20);
    }

    private static String random(String alphabet, int length) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        StringBuilder id = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            id.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return id.toString();
    }
}
