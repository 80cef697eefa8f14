package dev.keygate.proxy.forwarding;

/** A proxied path that could reach beyond the provider's base URL; refused with 400. */
class UnsafePathException extends RuntimeException {

    UnsafePathException(String message) {
        super(message, null, false, false);
    }
}
