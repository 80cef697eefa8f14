package dev.keygate.admin.provider;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import dev.keygate.admin.system.InvalidRequestException;
import org.springframework.stereotype.Component;

/**
 * Decides whether a custom provider's base URL may be called by the proxy, so that a tenant cannot turn the proxy
 * into a way into Keygate's own network (SSRF): https only, to a host whose every address is public. Loopback,
 * private, link-local (cloud metadata), unspecified, multicast, reserved, documentation and IPv6 tunnelling ranges
 * are refused, also when a host name resolves to them, unless a platform operator lists the host, address or range
 * in {@code keygate.catalog.allowed-private-hosts}; listed hosts may also use plain http.
 * <p>
 * The check resolves the name when the provider is saved. A name can later resolve elsewhere (DNS rebinding), so
 * whoever connects must check the address it connects to as well.
 */
@Component
class BaseUrlPolicy {

    static final String SETTING = "keygate.catalog.allowed-private-hosts (KEYGATE_CATALOG_ALLOWED_PRIVATE_HOSTS)";
    private static final int MAX_LENGTH = 2048;

    private static final List<Refused> REFUSED_V4 = List.of(
            new Refused("0.0.0.0/8", "an unspecified ('this network')"),
            new Refused("10.0.0.0/8", "a private"),
            new Refused("100.64.0.0/10", "a shared (carrier-grade NAT)"),
            new Refused("127.0.0.0/8", "a loopback"),
            new Refused("169.254.0.0/16", "a link-local (cloud metadata)"),
            new Refused("172.16.0.0/12", "a private"),
            new Refused("192.0.0.0/24", "an IETF protocol"),
            new Refused("192.0.2.0/24", "a documentation"),
            new Refused("192.168.0.0/16", "a private"),
            new Refused("198.18.0.0/15", "a benchmarking"),
            new Refused("198.51.100.0/24", "a documentation"),
            new Refused("203.0.113.0/24", "a documentation"),
            new Refused("224.0.0.0/4", "a multicast"),
            new Refused("240.0.0.0/4", "a reserved or broadcast"));

    private static final List<Refused> REFUSED_V6 = List.of(
            new Refused("::/128", "an unspecified"),
            new Refused("::1/128", "a loopback"),
            new Refused("64:ff9b:1::/48", "a local NAT64"),
            new Refused("100::/64", "a discard-only"),
            new Refused("2001::/32", "a Teredo tunnel"),
            new Refused("2001:db8::/32", "a documentation"),
            new Refused("fc00::/7", "a unique-local (private)"),
            new Refused("fe80::/10", "a link-local"),
            new Refused("fec0::/10", "a site-local (private)"),
            new Refused("ff00::/8", "a multicast"));

    // IPv6 forms that carry an IPv4 address: they are as public as the address inside. (IPv4-mapped ::ffff:a.b.c.d
    // needs no rule: Java turns it into the IPv4 address itself.)
    private static final AddressRange V4_COMPATIBLE = AddressRange.parse("::/96");
    private static final AddressRange NAT64 = AddressRange.parse("64:ff9b::/96");
    private static final AddressRange SIX_TO_FOUR = AddressRange.parse("2002::/16");

    private final Set<String> allowedHosts = new HashSet<>();
    private final List<AddressRange> allowedRanges = new ArrayList<>();

    BaseUrlPolicy(CatalogProperties properties) {
        for (String entry : properties.allowedPrivateHosts()) {
            String value = entry == null ? "" : entry.strip();
            if (value.isEmpty()) {
                continue;
            }
            if (AddressRange.isLiteral(value)) {
                allowedRanges.add(AddressRange.parse(value));
            }
            else {
                allowedHosts.add(normalizeHost(value));
            }
        }
    }

    /**
     * @return the URL as it will be stored: scheme and host lower-case, without a trailing slash
     * @throws InvalidRequestException naming what is wrong and how to fix it
     */
    URI check(String baseUrl) {
        if (baseUrl == null || baseUrl.isBlank()) {
            throw new InvalidRequestException("base_url is required: the provider's API root, like"
                    + " 'https://api.example.com/v1'.");
        }
        if (baseUrl.length() > MAX_LENGTH) {
            throw new InvalidRequestException("base_url is at most " + MAX_LENGTH + " characters.");
        }
        URI uri;
        try {
            uri = new URI(baseUrl.strip());
        }
        catch (URISyntaxException ex) {
            throw new InvalidRequestException("base_url is not a URL (" + ex.getReason()
                    + "); send it like 'https://api.example.com/v1'.");
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!"https".equals(scheme) && !"http".equals(scheme)) {
            throw new InvalidRequestException("base_url must start with https://, like 'https://api.example.com/v1'.");
        }
        if (uri.getHost() == null) {
            throw new InvalidRequestException("base_url has no usable host name; send it like"
                    + " 'https://api.example.com/v1'.");
        }
        if (uri.getRawUserInfo() != null) {
            throw new InvalidRequestException("base_url must not carry credentials; send the key as api_key.");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new InvalidRequestException("base_url must not have a query or fragment; send only scheme, host,"
                    + " port and path.");
        }
        String host = normalizeHost(uri.getHost());
        boolean hostAllowed = allowedHosts.contains(host);
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        }
        catch (UnknownHostException ex) {
            throw new InvalidRequestException("base_url host '" + host + "' does not resolve; check the name.");
        }
        boolean everyAddressAllowed = hostAllowed;
        if (!hostAllowed) {
            everyAddressAllowed = true;
            for (InetAddress address : addresses) {
                if (allowedRanges.stream().anyMatch(range -> range.contains(address))) {
                    continue;
                }
                everyAddressAllowed = false;
                String refusal = refusal(address);
                if (refusal != null) {
                    throw new InvalidRequestException("base_url host '" + host + "' is " + refusal + " address ("
                            + address.getHostAddress() + "). Keygate refuses such targets so the proxy cannot be"
                            + " turned against internal services; use the provider's public https address, or have"
                            + " the platform operator allow this host in " + SETTING + ".");
                }
            }
        }
        if ("http".equals(scheme) && !everyAddressAllowed) {
            throw new InvalidRequestException("base_url must use https: plain http would expose the key on the way."
                    + " Only hosts the platform operator allows in " + SETTING + " may use http.");
        }
        return normalize(uri, scheme);
    }

    /** Why {@code address} is not a public internet address, as "a loopback"; {@code null} if it is public. */
    static String refusal(InetAddress address) {
        if (address instanceof Inet4Address) {
            return REFUSED_V4.stream().filter(refused -> refused.range().contains(address)).findFirst()
                    .map(Refused::reason).orElse(null);
        }
        if (address instanceof Inet6Address) {
            for (Refused refused : REFUSED_V6) {
                if (refused.range().contains(address)) {
                    return refused.reason();
                }
            }
            byte[] bytes = address.getAddress();
            if (V4_COMPATIBLE.contains(address) || NAT64.contains(address)) {
                return embedded(Arrays.copyOfRange(bytes, 12, 16));
            }
            if (SIX_TO_FOUR.contains(address)) {
                return embedded(Arrays.copyOfRange(bytes, 2, 6));
            }
            return null;
        }
        return "an unrecognised";
    }

    private static String embedded(byte[] v4) {
        try {
            String inner = refusal(InetAddress.getByAddress(v4));
            return inner == null ? null : inner + " (inside IPv6)";
        }
        catch (UnknownHostException ex) {
            return "an unrecognised";
        }
    }

    private static String normalizeHost(String host) {
        String value = host.toLowerCase(Locale.ROOT);
        if (value.startsWith("[") && value.endsWith("]")) {
            value = value.substring(1, value.length() - 1);
        }
        return value.endsWith(".") ? value.substring(0, value.length() - 1) : value;
    }

    private static URI normalize(URI uri, String scheme) {
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        return URI.create(scheme + "://" + host + (uri.getPort() == -1 ? "" : ":" + uri.getPort()) + path);
    }

    private record Refused(AddressRange range, String reason) {
        Refused(String cidr, String reason) {
            this(AddressRange.parse(cidr), reason);
        }
    }
}
