package dev.keygate.admin.provider;

import java.util.List;

import dev.keygate.admin.system.InvalidRequestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.core.io.ClassPathResource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The SSRF policy for custom base URLs, with address literals and {@code localhost} only: no DNS, no network. */
class BaseUrlPolicyTest {

    private final BaseUrlPolicy strict = policy();

    @ParameterizedTest
    @CsvSource({
            "https://127.0.0.1/v1, a loopback",
            "https://127.8.9.10, a loopback",
            "https://localhost:8443/v1, a loopback",
            "https://LOCALHOST./v1, a loopback",
            "https://[::1]/v1, a loopback",
            "https://10.0.0.5, a private",
            "https://172.16.0.1, a private",
            "https://172.31.255.254, a private",
            "https://192.168.1.20:8000/v1, a private",
            "https://169.254.169.254/latest/meta-data, a link-local",
            "https://[fe80::1], a link-local",
            "https://[fc00::1], a unique-local",
            "https://[fd12:3456:789a::1], a unique-local",
            "https://0.0.0.0:8080, an unspecified",
            "https://[::], an unspecified",
            "https://224.0.0.1, a multicast",
            "https://[ff02::1], a multicast",
            "https://255.255.255.255, a reserved or broadcast",
            "https://100.100.100.200, a shared",
            "https://198.18.0.1, a benchmarking",
            "https://[::ffff:127.0.0.1], a loopback",
            "https://[::ffff:10.1.2.3], a private",
            "https://[64:ff9b::a9fe:a9fe], a link-local",
            "https://[2002:c0a8:0101::1], a private",
            "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2], a Teredo",
            "https://[fec0::1], a site-local"
    })
    void refusesNonPublicTargetsAndNamesTheFix(String url, String reason) {
        assertThatThrownBy(() -> strict.check(url))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining(reason)
                .hasMessageContaining("keygate.catalog.allowed-private-hosts");
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://8.8.8.8/v1", "https://[2606:4700:4700::1111]/v1", "https://1.1.1.1:8443",
            "https://172.32.0.1", "https://192.169.0.1", "https://[::ffff:8.8.8.8]/v1", "https://[64:ff9b::808:808]"})
    void acceptsPublicAddresses(String url) {
        assertThat(strict.check(url)).isNotNull();
    }

    @Test
    void normalisesWhatItStores() {
        assertThat(strict.check("HTTPS://8.8.8.8:443/v1/").toString()).isEqualTo("https://8.8.8.8:443/v1");
        assertThat(strict.check("https://[2606:4700:4700::1111]").toString()).isEqualTo("https://[2606:4700:4700::1111]");
    }

    @Test
    void refusesPlainHttpToPublicHostsSoKeysNeverTravelInClear() {
        assertThatThrownBy(() -> strict.check("http://8.8.8.8/v1"))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("must use https");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "ftp://8.8.8.8/|must start with https://",
            "file:///etc/passwd|must start with https://",
            "//8.8.8.8/v1|must start with https://",
            "https://user:secret@8.8.8.8/v1|must not carry credentials",
            "https://8.8.8.8/v1?key=abc|must not have a query",
            "https://8.8.8.8/v1#frag|must not have a query",
            "https://exa mple.com|is not a URL",
            "https:8.8.8.8|no usable host",
            "https://no_underscores.example|no usable host"
    })
    void refusesMalformedUrls(String url, String message) {
        assertThatThrownBy(() -> strict.check(url))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining(message);
    }

    @Test
    void refusesAMissingOrOverlongUrl() {
        assertThatThrownBy(() -> strict.check(null)).hasMessageContaining("base_url is required");
        assertThatThrownBy(() -> strict.check("  ")).hasMessageContaining("base_url is required");
        assertThatThrownBy(() -> strict.check("https://8.8.8.8/" + "a".repeat(2048)))
                .hasMessageContaining("at most 2048");
    }

    @Test
    void operatorCanAllowLoopbackByAddressForTheLocalStack() {
        BaseUrlPolicy local = policy("127.0.0.1");

        assertThat(local.check("http://127.0.0.1:18789").toString()).isEqualTo("http://127.0.0.1:18789");
        assertThat(local.check("https://127.0.0.1/v1")).isNotNull();
        assertThatThrownBy(() -> local.check("http://127.0.0.2")).hasMessageContaining("a loopback");
        assertThatThrownBy(() -> local.check("https://10.0.0.1")).hasMessageContaining("a private");
    }

    @Test
    void operatorCanAllowARange() {
        BaseUrlPolicy lan = policy("10.20.0.0/16", "fd00::/8");

        assertThat(lan.check("http://10.20.30.40:8000/v1")).isNotNull();
        assertThat(lan.check("https://[fd00::5]/v1")).isNotNull();
        assertThatThrownBy(() -> lan.check("https://10.21.0.1")).hasMessageContaining("a private");
        assertThatThrownBy(() -> lan.check("https://[fc00::1]/v1")).hasMessageContaining("a unique-local");
    }

    @Test
    void operatorCanAllowAHostByNameWhateverItResolvesTo() {
        BaseUrlPolicy named = policy(" LocalHost ", "");

        assertThat(named.check("http://localhost:8000/v1").toString()).isEqualTo("http://localhost:8000/v1");
        assertThatThrownBy(() -> named.check("https://127.0.0.1/v1")).hasMessageContaining("a loopback");
    }

    @Test
    void allowingAnAddressDoesNotLetPlainHttpReachPublicHosts() {
        BaseUrlPolicy local = policy("127.0.0.1");

        assertThatThrownBy(() -> local.check("http://8.8.8.8")).hasMessageContaining("must use https");
    }

    @Test
    void aMalformedAllowListEntryStopsTheStart() {
        assertThatThrownBy(() -> policy("10.0.0.0/33")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("10.0.0.0/33");
    }

    @ParameterizedTest
    @CsvSource({
            "10.0.0.0/8, 10.255.1.1, true",
            "10.0.0.0/8, 11.0.0.0, false",
            "172.16.0.0/12, 172.31.0.1, true",
            "172.16.0.0/12, 172.32.0.1, false",
            "100.64.0.0/10, 100.127.255.255, true",
            "100.64.0.0/10, 100.128.0.0, false",
            "fc00::/7, fdff::1, true",
            "fc00::/7, fe00::1, false",
            "0.0.0.0/0, 8.8.8.8, true",
            "0.0.0.0/0, ::1, false",
            "192.0.2.7, 192.0.2.7, true",
            "192.0.2.7, 192.0.2.8, false"
    })
    void addressRangesMatchByPrefix(String range, String address, boolean contained) throws Exception {
        assertThat(AddressRange.parse(range).contains(java.net.InetAddress.getByName(address))).isEqualTo(contained);
    }

    @Test
    void addressRangesNeverResolveNames() {
        assertThat(AddressRange.isLiteral("localhost")).isFalse();
        assertThat(AddressRange.isLiteral("10.0.0.0/8")).isTrue();
        assertThat(AddressRange.isLiteral("fd00::/8")).isTrue();
        assertThatThrownBy(() -> AddressRange.parse("localhost")).isInstanceOf(IllegalArgumentException.class);
    }

    private static BaseUrlPolicy policy(String... allowed) {
        return new BaseUrlPolicy(new CatalogProperties(new ClassPathResource("models.yaml"), List.of(allowed)));
    }
}
