package dev.keygate.admin.provider;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 range in CIDR notation ({@code 10.0.0.0/8}, {@code fc00::/7}); a bare address is a range of one.
 * Parsing never touches DNS: only address literals are accepted.
 */
final class AddressRange {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private final byte[] network;
    private final int prefix;
    private final String text;

    private AddressRange(byte[] network, int prefix, String text) {
        this.network = network;
        this.prefix = prefix;
        this.text = text;
    }

    /** Whether {@code text} is an address or CIDR literal rather than a host name. */
    static boolean isLiteral(String text) {
        String address = text.contains("/") ? text.substring(0, text.indexOf('/')) : text;
        return IPV4.matcher(address).matches() || IPV6.matcher(address).matches();
    }

    /** @throws IllegalArgumentException if {@code text} is not an address or CIDR literal */
    static AddressRange parse(String text) {
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        if (!IPV4.matcher(address).matches() && !IPV6.matcher(address).matches()) {
            throw new IllegalArgumentException("not an IP address or CIDR range: " + text);
        }
        byte[] bytes;
        try {
            bytes = InetAddress.getByName(address).getAddress();
        }
        catch (UnknownHostException ex) {
            throw new IllegalArgumentException("not an IP address or CIDR range: " + text, ex);
        }
        int bits = bytes.length * 8;
        int prefix;
        try {
            prefix = slash < 0 ? bits : Integer.parseInt(text.substring(slash + 1));
        }
        catch (NumberFormatException ex) {
            throw new IllegalArgumentException("not a CIDR prefix length: " + text, ex);
        }
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("CIDR prefix length out of range: " + text);
        }
        return new AddressRange(bytes, prefix, text);
    }

    boolean contains(InetAddress address) {
        byte[] candidate = address.getAddress();
        if (candidate.length != network.length) {
            return false;
        }
        int whole = prefix / 8;
        for (int i = 0; i < whole; i++) {
            if (candidate[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xFF << (8 - rest)) & 0xFF;
        return (candidate[whole] & mask) == (network[whole] & mask);
    }

    @Override
    public String toString() {
        return text;
    }
}
