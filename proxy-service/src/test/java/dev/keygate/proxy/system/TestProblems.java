package dev.keygate.proxy.system;

import io.micrometer.tracing.Tracer;
import org.springframework.beans.factory.support.StaticListableBeanFactory;

/** The real {@link ProxyProblems}, without tracing, for tests in other packages. */
public final class TestProblems {

    private TestProblems() {
    }

    public static ProxyProblems problems() {
        return new ProxyProblems(new StaticListableBeanFactory().getBeanProvider(Tracer.class));
    }
}
