package dev.keygate.proxy.abuse;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import dev.keygate.testkit.JsonFuzz;

/**
 * Raw HTTP/1.1 requests for the proxy, generated from one seed so that a failing run can be replayed exactly: each
 * starts as a plausible provider call and has one aspect broken (its category): path, method, headers, CRLF and
 * control bytes, huge headers, invalid UTF-8, JSON-ish or binary bodies, lying framing, credentials.
 */
final class ProxyFuzzer {

    static final List<String> CATEGORIES = List.of("path", "method", "headers", "crlf-and-control-bytes",
            "huge-headers", "invalid-utf8", "json-body", "envelope-body", "binary-body", "framing", "credential");

    /** One generated request. */
    record Input(int index, String category, byte[] bytes) {

        String describe() {
            String text = new String(bytes, 0, Math.min(bytes.length, 300), StandardCharsets.ISO_8859_1);
            return "#" + index + " [" + category + "] " + text.replace("\r", "\\r").replace("\n", "\\n");
        }
    }

    /** The credentials and hosts the generator may use. */
    record Material(String validKey, String revokedKey, String validToken, String forgedToken, String strayHost) {
    }

    private static final String[] PREFIXES = {"/api/proxy/openai", "/api/proxy/anthropic", "/api/proxy/gemini",
            "/api/proxy/xai", "/api/proxy/tools/brave", "/api/proxy/tools/e2b", "/api/proxy/tools/exa",
            "/proxy/openai", "/proxy/anthropic", "/api/proxy", "/api/proxy/tools", "", "/actuator", "/actuator/env",
            "/health", "/api/rate-limit-status", "/api/analytics-query", "/api/proxy/nosuch", "/proxy/nosuch"};
    private static final String[] SEGMENTS = {"v1", "chat", "completions", "messages", "models", "..", ".", "%2e%2e",
            "%2E", "%252e%252e", "%2f", "%5c", "%00", "%ff", "%", "%zz", "http:", "", ";x=1", "..;", "~", "$", "*",
            "%0d%0a", "caf%C3%A9", "v1beta", "models/gemini-2.0-flash:generateContent", "res", "web", "search"};
    private static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE",
            "CONNECT", "PROPFIND", "get", "POST ", "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "BREW"};
    private static final String[] SPECIAL_HEADERS = {"Expect: 100-continue", "Accept-Encoding: gzip, br",
            "Transfer-Encoding: gzip", "X-Forwarded-For: ::1, not-an-ip, 999.1.1.1", "Forwarded: for=\"[::1]\";host=x",
            "Origin: http://evil.example", "X-Hardware-Id: hw-x", "traceparent: 00-zz-zz-zz",
            "Content-Type: application/json; charset=utf-16", "Content-Type: multipart/form-data; boundary=",
            "Content-Encoding: gzip", "Connection: keep-alive, Upgrade", "Upgrade: h2c", "Range: bytes=0-1,-1",
            "anthropic-version: 1900-01-01", "Cookie: session=abc", "Proxy-Authorization: Basic Zm9vOmJhcg=="};

    private final Random random;
    private final JsonFuzz json;
    private final Material material;

    ProxyFuzzer(long seed, Material material) {
        this.random = new Random(seed);
        this.json = new JsonFuzz(random);
        this.material = material;
    }

    List<Input> generate(int count) {
        List<Input> inputs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            inputs.add(next(i, CATEGORIES.get(random.nextInt(CATEGORIES.size()))));
        }
        return inputs;
    }

    private Input next(int index, String category) {
        String method = "POST";
        String path = PREFIXES[random.nextInt(4)] + "/v1/chat/completions";
        List<byte[]> headers = new ArrayList<>();
        headers.add(ascii(credentialHeader(path, false)));
        byte[] body = ascii("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        String framing = null;
        switch (category) {
            case "path" -> {
                method = random.nextBoolean() ? "GET" : "POST";
                path = randomPath();
            }
            case "method" -> {
                method = METHODS[random.nextInt(METHODS.length)];
                if (random.nextBoolean()) {
                    path = randomPath();
                }
            }
            case "headers" -> {
                for (int i = random.nextInt(8); i >= 0; i--) {
                    headers.add(ascii(random.nextInt(3) == 0 ? SPECIAL_HEADERS[random.nextInt(SPECIAL_HEADERS.length)]
                            : token(1 + random.nextInt(30)) + ": " + printable(random.nextInt(200))));
                }
            }
            case "crlf-and-control-bytes" -> {
                String[] injections = {"a\r\nAuthorization: Bearer px_injected", "a\rb", "a\nb", "a\u0000b",
                        "a\u0007\u001b[31m", "a\r\n\r\nGET /actuator/env HTTP/1.1", "\t leading", "trailing \t"};
                headers.add(ascii("X-Fuzz: " + injections[random.nextInt(injections.length)]));
                if (random.nextBoolean()) {
                    path = path + "?q=" + injections[random.nextInt(3)];
                }
            }
            case "huge-headers" -> {
                if (random.nextBoolean()) {
                    headers.add(ascii("X-Huge: " + "h".repeat(4_000 + random.nextInt(60_000))));
                }
                else {
                    for (int i = 0; i < 100 + random.nextInt(400); i++) {
                        headers.add(ascii("X-Many-" + i + ": " + printable(20)));
                    }
                }
            }
            case "invalid-utf8" -> {
                byte[] bad = invalidUtf8();
                switch (random.nextInt(3)) {
                    case 0 -> path = path + "/" + new String(bad, StandardCharsets.ISO_8859_1);
                    case 1 -> headers.add(concat(ascii("X-Bad: "), bad));
                    default -> body = concat(ascii("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\""),
                            bad, ascii("\"}]}"));
                }
            }
            case "json-body" -> body = ascii(jsonish(0));
            case "envelope-body" -> {
                path = PREFIXES[7 + random.nextInt(2)] + "/v1/chat/completions";
                headers.clear();
                String[] keys = {"\"" + material.validKey() + "\"", "\"" + material.revokedKey() + "\"", "null", "42",
                        "\"px_" + token(20) + "\"", "[]", "{}"};
                body = ascii("{\"proxy_key\":" + keys[random.nextInt(keys.length)]
                        + (random.nextBoolean() ? ",\"provider\":" + jsonish(2) : "")
                        + (random.nextBoolean() ? ",\"hardware_id\":" + jsonish(2) : "")
                        + ",\"body\":" + jsonish(0) + (random.nextInt(5) == 0 ? "" : "}"));
            }
            case "binary-body" -> {
                body = new byte[random.nextInt(4096)];
                random.nextBytes(body);
            }
            case "framing" -> {
                switch (random.nextInt(6)) {
                    case 0 -> framing = "Content-Length: " + Math.max(0, body.length - 1 - random.nextInt(10));
                    case 1 -> framing = "Content-Length: " + (body.length + 1 + random.nextInt(100));
                    case 2 -> framing = "Content-Length: -1";
                    case 3 -> framing = "Content-Length: " + body.length + "\r\nContent-Length: " + (body.length + 5);
                    case 4 -> framing = "Transfer-Encoding: chunked\r\nContent-Length: " + body.length;
                    default -> {
                        framing = "Transfer-Encoding: chunked";
                        String[] chunks = {"zz\r\nabc\r\n0\r\n\r\n", "5\r\nabc\r\n0\r\n\r\n",
                                "ffffffffffffffff\r\nab\r\n", "3;ext=1\r\nabc\r\n0\r\n\r\n", "0\r\n\r\n"};
                        body = ascii(chunks[random.nextInt(chunks.length)]);
                    }
                }
            }
            case "credential" -> {
                headers.clear();
                headers.add(ascii(credentialHeader(path, true)));
            }
            default -> throw new IllegalStateException(category);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ascii(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"));
        for (byte[] header : headers) {
            out.writeBytes(header);
            out.writeBytes(ascii("\r\n"));
        }
        out.writeBytes(ascii((framing != null ? framing : "Content-Length: " + body.length) + "\r\n\r\n"));
        out.writeBytes(body);
        return new Input(index, category, out.toByteArray());
    }

    private String credentialHeader(String path, boolean hostile) {
        String header = path.contains("anthropic") || path.contains("tools/e2b") || path.contains("tools/exa")
                ? "x-api-key: " : path.contains("gemini") ? "x-goog-api-key: "
                : path.contains("brave") ? "X-Subscription-Token: " : "Authorization: Bearer ";
        if (!hostile) {
            return header + material.validKey();
        }
        String[] credentials = {material.validKey(), material.revokedKey(), material.validToken(),
                material.forgedToken(), "px_" + token(40), "px_", "", "eyJ" + token(300), "x".repeat(20_000),
                material.validKey() + " trailing", material.validKey().toUpperCase()};
        String credential = credentials[random.nextInt(credentials.length)];
        return switch (random.nextInt(5)) {
            case 0 -> "Authorization: Basic " + credential;
            case 1 -> "authorization: bearer " + credential;
            case 2 -> "X-Other: " + credential;
            default -> header + credential;
        };
    }

    private String randomPath() {
        StringBuilder path = new StringBuilder(PREFIXES[random.nextInt(PREFIXES.length)]);
        for (int i = random.nextInt(6); i >= 0; i--) {
            path.append('/');
            int pick = random.nextInt(SEGMENTS.length + 4);
            if (pick < SEGMENTS.length) {
                path.append(SEGMENTS[pick]);
            }
            else if (pick == SEGMENTS.length) {
                path.append("@").append(material.strayHost());
            }
            else if (pick == SEGMENTS.length + 1) {
                path.append("http://").append(material.strayHost());
            }
            else if (pick == SEGMENTS.length + 2) {
                path.append("a".repeat(1 + random.nextInt(6_000)));
            }
            else {
                path.append(token(1 + random.nextInt(20)));
            }
        }
        String[] queries = {"", "", "?key=" + material.validKey(), "?a=b&key=x", "?%%%", "?x=" + "y".repeat(3_000),
                "?url=http://" + material.strayHost(), "#fragment", "?a=%ZZ"};
        return path + queries[random.nextInt(queries.length)];
    }

    /** Sometimes a chat-shaped object with fuzzed fields, else any JSON-ish value. */
    private String jsonish(int depth) {
        return depth == 0 && random.nextBoolean()
                ? json.object(List.of("model", "stream", "messages", "max_tokens", "stream_options", "contents"))
                : json.value(depth);
    }

    private byte[] invalidUtf8() {
        byte[][] samples = {{(byte) 0xC3, 0x28}, {(byte) 0xFF, (byte) 0xFE}, {(byte) 0xE2, (byte) 0x82},
                {(byte) 0xF0, (byte) 0x90, (byte) 0x80}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xC0, (byte) 0xAF}};
        return samples[random.nextInt(samples.length)];
    }

    private String token(int length) {
        String chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*";
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.append(chars.charAt(random.nextInt(chars.length())));
        }
        return out.toString();
    }

    private String printable(int length) {
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.append((char) (0x20 + random.nextInt(0x5F)));
        }
        return out.toString();
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
