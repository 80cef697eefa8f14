package dev.keygate.proxy.abuse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, byte for byte as written: the request targets, header bytes and bodies an attacker
 * sends, which {@code java.net.http} and WebClient would normalise or refuse to send.
 */
final class RawHttp {

    private RawHttp() {
    }

    /**
     * @param status the answer's status, or -1 when the proxy closed the connection without one
     * @param hung whether nothing ended the exchange within the patience given
     * @param raw the whole answer as ISO-8859-1 text (headers and body), for leak checks
     */
    record Answer(int status, Map<String, String> headers, String body, String raw, boolean hung, long millis) {

        String contentType() {
            return headers.getOrDefault("content-type", "");
        }
    }

    static byte[] request(String method, String target, Map<String, String> headers, byte[] body) {
        StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1\r\nConnection: close\r\n");
        headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        byte[] start = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (body == null) {
            return start;
        }
        byte[] all = new byte[start.length + body.length];
        System.arraycopy(start, 0, all, 0, start.length);
        System.arraycopy(body, 0, all, start.length, body.length);
        return all;
    }

    static Answer exchange(int port, byte[] request, Duration patience) {
        long started = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout((int) patience.toMillis());
            try {
                socket.getOutputStream().write(request);
                socket.getOutputStream().flush();
            }
            catch (IOException ex) {
                // The proxy may answer and close before reading all of a large request; read what it said.
            }
            return read(socket.getInputStream(), started, patience);
        }
        catch (IOException ex) {
            throw new IllegalStateException("could not reach the proxy on port " + port, ex);
        }
    }

    static Answer read(InputStream in, long started, Duration patience) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean hung = false;
        byte[] buffer = new byte[8192];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                bytes.write(buffer, 0, n);
                if ((System.nanoTime() - started) > patience.toNanos()) {
                    hung = true;
                    break;
                }
            }
        }
        catch (SocketTimeoutException ex) {
            hung = true;
        }
        catch (IOException ex) {
            // connection reset: whatever arrived before is the answer
        }
        return parse(bytes.toString(StandardCharsets.ISO_8859_1), hung, (System.nanoTime() - started) / 1_000_000);
    }

    private static Answer parse(String raw, boolean hung, long millis) {
        int end = raw.indexOf("\r\n\r\n");
        if (!raw.startsWith("HTTP/1.1 ") || end < 0) {
            return new Answer(-1, Map.of(), "", raw, hung, millis);
        }
        String[] lines = raw.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].substring(9, 12));
        Map<String, String> headers = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.putIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
        }
        String body = raw.substring(end + 4);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = dechunk(body);
        }
        return new Answer(status, headers, new String(body.getBytes(StandardCharsets.ISO_8859_1),
                StandardCharsets.UTF_8), raw, hung, millis);
    }

    private static String dechunk(String chunked) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (at < chunked.length()) {
            int lineEnd = chunked.indexOf("\r\n", at);
            if (lineEnd < 0) {
                break;
            }
            int size;
            try {
                size = Integer.parseInt(chunked.substring(at, lineEnd).split(";")[0].trim(), 16);
            }
            catch (NumberFormatException ex) {
                break;
            }
            if (size == 0) {
                break;
            }
            out.append(chunked, lineEnd + 2, Math.min(chunked.length(), lineEnd + 2 + size));
            at = lineEnd + 2 + size + 2;
        }
        return out.toString();
    }
}
