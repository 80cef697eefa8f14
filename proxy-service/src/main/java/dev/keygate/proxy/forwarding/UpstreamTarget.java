package dev.keygate.proxy.forwarding;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Builds the provider URL for a proxied path and proves it stays under the provider's base URL: no {@code ..}
 * segment (plain or percent-encoded), no encoded slash or backslash, no scheme or authority smuggled into the path.
 */
final class UpstreamTarget {

    private static final Pattern QUERY_KEY = Pattern.compile("(^|&)key=[^&]*");

    private UpstreamTarget() {
    }

    /**
     * @param baseUrl the provider's base URL from the catalog
     * @param rawPath the request path after {@code /api/proxy/{provider}}, still percent-encoded, starting with '/'
     * @param rawQuery the raw query string or {@code null}; a {@code key=} parameter (a caller credential) is dropped
     */
    static URI resolve(URI baseUrl, String rawPath, String rawQuery) {
        if (rawPath.isEmpty()) {
            rawPath = "/";
        }
        if (!rawPath.startsWith("/") || rawPath.startsWith("//")) {
            throw new UnsafePathException("The path must be relative to the provider, like /v1/chat/completions.");
        }
        String lower = rawPath.toLowerCase();
        if (lower.contains("%2f") || lower.contains("%5c") || rawPath.contains("\\") || lower.contains("%00")) {
            throw new UnsafePathException("Encoded slashes, backslashes and NUL are not allowed in proxied paths.");
        }
        String decoded = URLDecoder.decode(rawPath.replace("+", "%2B"), StandardCharsets.UTF_8);
        for (String segment : decoded.split("/", -1)) {
            if (segment.equals("..") || segment.equals(".")) {
                throw new UnsafePathException("Dot segments ('.' or '..') are not allowed in proxied paths.");
            }
        }
        if (decoded.contains("://") || decoded.contains("@")) {
            throw new UnsafePathException("A proxied path cannot name another host.");
        }
        String base = baseUrl.toString();
        if (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        String query = rawQuery == null ? "" : QUERY_KEY.matcher(rawQuery).replaceAll("").replaceFirst("^&", "");
        URI target = URI.create(base + rawPath + (query.isEmpty() ? "" : "?" + query));
        if (!target.getScheme().equals(baseUrl.getScheme()) || !target.getRawAuthority().equals(baseUrl.getRawAuthority())
                || !target.getRawPath().startsWith(baseUrl.getRawPath() == null ? "" : baseUrl.getRawPath())) {
            throw new UnsafePathException("The proxied path escapes the provider's base URL.");
        }
        return target;
    }
}
