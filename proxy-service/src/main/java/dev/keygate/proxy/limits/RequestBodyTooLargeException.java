package dev.keygate.proxy.limits;

/** A request body grew past {@code keygate.proxy.limits.max-request-body} while it streamed upstream. */
public class RequestBodyTooLargeException extends RuntimeException {

    private final long maxBytes;

    RequestBodyTooLargeException(long maxBytes) {
        super("request body larger than " + maxBytes + " bytes", null, false, false);
        this.maxBytes = maxBytes;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** Whether {@code error} or one of its causes is this exception (WebClient wraps body errors). */
    public static RequestBodyTooLargeException in(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof RequestBodyTooLargeException found) {
                return found;
            }
        }
        return null;
    }
}
