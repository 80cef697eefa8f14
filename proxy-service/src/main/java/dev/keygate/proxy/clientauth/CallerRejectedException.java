package dev.keygate.proxy.clientauth;

/** The caller could not be authenticated; the message tells them what to send instead, never echoing it. */
public class CallerRejectedException extends RuntimeException {

    public CallerRejectedException(String message) {
        super(message, null, false, false);
    }
}
