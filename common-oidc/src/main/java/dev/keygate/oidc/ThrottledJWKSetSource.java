package dev.keygate.oidc;

import java.util.concurrent.atomic.AtomicLong;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSetSourceWrapper;
import com.nimbusds.jose.jwk.source.JWKSetUnavailableException;
import com.nimbusds.jose.proc.SecurityContext;

/**
 * Lets at most one fetch through per {@code minInterval}; the others fail with {@link JWKSetUnavailableException},
 * which the outage-tolerant source above it answers from the keys it holds (Nimbus's own rate limiter throws an
 * exception that source does not catch).
 */
final class ThrottledJWKSetSource<C extends SecurityContext> extends JWKSetSourceWrapper<C> {

    private static final long NEVER = Long.MIN_VALUE;

    private final long minInterval;
    private final AtomicLong lastFetch = new AtomicLong(NEVER);

    ThrottledJWKSetSource(JWKSetSource<C> source, long minInterval) {
        super(source);
        this.minInterval = minInterval;
    }

    @Override
    public JWKSet getJWKSet(JWKSetCacheRefreshEvaluator refreshEvaluator, long currentTime, C context)
            throws KeySourceException {
        long last = lastFetch.get();
        if (last != NEVER && currentTime - last < minInterval || !lastFetch.compareAndSet(last, currentTime)) {
            throw new JWKSetUnavailableException("The realm's keys were fetched less than " + minInterval
                    + " ms ago; not fetching again yet.");
        }
        return getSource().getJWKSet(refreshEvaluator, currentTime, context);
    }
}
