package dev.keygate.proxy.forwarding;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

@Configuration(proxyBeanMethods = false)
class ForwardingRoutes {

    @Bean
    RouterFunction<ServerResponse> proxyRoutes(ProxyHandler handler) {
        // Tools first: "tools" is not a provider.
        return RouterFunctions.route(RequestPredicates.path(ProxyHandler.TOOLS_PREFIX + "{tool}/**"), handler::forwardTool)
                .andRoute(RequestPredicates.path(ProxyHandler.PREFIX + "{provider}/**"), handler::forward);
    }
}
