package dev.keygate.admin.license;

import java.util.Locale;

/**
 * Tells which padding a legacy {@code POST /activate} caller will strip, from its request headers alone, because
 * the seed's request carries nothing else to go by. JavaScript runtimes whose {@code fetch} follows the WHATWG spec
 * (Node's undici, browsers, hence browser extensions) send {@code Sec-Fetch-Mode}; Node, Deno and Bun name
 * themselves in {@code User-Agent}. Their {@code crypto.createDecipheriv} unpads by default, and the seed's
 * TypeScript client unpads once more: they get {@link LegacyActivationCipher.Padding#DOUBLE}. Everyone else (the
 * seed's Python client with {@code python-requests}, curl, Go, Java) gets standard PKCS#7.
 */
final class LegacyClients {

    private LegacyClients() {
    }

    static LegacyActivationCipher.Padding padding(String userAgent, String secFetchMode) {
        if (secFetchMode != null && !secFetchMode.isBlank()) {
            return LegacyActivationCipher.Padding.DOUBLE;
        }
        String agent = userAgent == null ? "" : userAgent.strip().toLowerCase(Locale.ROOT);
        if (agent.equals("node") || agent.startsWith("node/") || agent.startsWith("node-fetch")
                || agent.startsWith("undici") || agent.startsWith("deno/") || agent.startsWith("bun/")) {
            return LegacyActivationCipher.Padding.DOUBLE;
        }
        return LegacyActivationCipher.Padding.SINGLE;
    }
}
