package dev.keygate.proxy.system;

import org.springframework.core.Ordered;
import org.springframework.security.web.server.header.CacheControlServerHttpHeadersWriter;
import org.springframework.security.web.server.header.CompositeServerHttpHeadersWriter;
import org.springframework.security.web.server.header.ContentSecurityPolicyServerHttpHeadersWriter;
import org.springframework.security.web.server.header.ContentTypeOptionsServerHttpHeadersWriter;
import org.springframework.security.web.server.header.CrossOriginEmbedderPolicyServerHttpHeadersWriter;
import org.springframework.security.web.server.header.CrossOriginOpenerPolicyServerHttpHeadersWriter;
import org.springframework.security.web.server.header.CrossOriginResourcePolicyServerHttpHeadersWriter;
import org.springframework.security.web.server.header.FeaturePolicyServerHttpHeadersWriter;
import org.springframework.security.web.server.header.HttpHeaderWriterWebFilter;
import org.springframework.security.web.server.header.PermissionsPolicyServerHttpHeadersWriter;
import org.springframework.security.web.server.header.ReferrerPolicyServerHttpHeadersWriter;
import org.springframework.security.web.server.header.StrictTransportSecurityServerHttpHeadersWriter;
import org.springframework.security.web.server.header.XFrameOptionsServerHttpHeadersWriter;
import org.springframework.security.web.server.header.XXssProtectionServerHttpHeadersWriter;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * On the routes that bypass Spring Security's filter chain ({@link SecurityConfiguration#SELF_AUTHENTICATED}),
 * writes the response headers that chain writes by default ({@code Cache-Control}/{@code Pragma}/{@code Expires}
 * unless the answer has its own, {@code X-Content-Type-Options}, {@code X-Frame-Options}, {@code X-XSS-Protection},
 * HSTS on HTTPS): the same writers, in the order and with the settings of {@code ServerHttpSecurity.headers()}.
 */
final class SelfAuthenticatedRouteHeaders implements WebFilter, Ordered {

    /** Just after Spring Security's {@code WebFilterChainProxy} (-100), so a request its firewall refused never gets here. */
    static final int ORDER = -99;

    private final ServerWebExchangeMatcher routes;
    private final HttpHeaderWriterWebFilter headers = new HttpHeaderWriterWebFilter(new CompositeServerHttpHeadersWriter(
            new CacheControlServerHttpHeadersWriter(), new ContentTypeOptionsServerHttpHeadersWriter(),
            new StrictTransportSecurityServerHttpHeadersWriter(), new XFrameOptionsServerHttpHeadersWriter(),
            new XXssProtectionServerHttpHeadersWriter(), new FeaturePolicyServerHttpHeadersWriter(),
            new PermissionsPolicyServerHttpHeadersWriter(), new ContentSecurityPolicyServerHttpHeadersWriter(),
            new ReferrerPolicyServerHttpHeadersWriter(), new CrossOriginOpenerPolicyServerHttpHeadersWriter(),
            new CrossOriginEmbedderPolicyServerHttpHeadersWriter(), new CrossOriginResourcePolicyServerHttpHeadersWriter()));

    SelfAuthenticatedRouteHeaders(ServerWebExchangeMatcher routes) {
        this.routes = routes;
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        return routes.matches(exchange).flatMap(match -> match.isMatch() ? headers.filter(exchange, chain)
                : chain.filter(exchange));
    }
}
