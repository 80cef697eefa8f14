package dev.keygate.proxy.limits;

/**
 * The limiter's answer for one call.
 *
 * @param quota the most restrictive hard window limit after this call, for the headers; {@code null} when none applies
 * @param message why the call was refused (seed 001 wording), {@code null} when admitted
 * @param fix what the caller or an admin can do about it
 * @param retryAfterSeconds when a refused caller may try again, at least 1
 * @param release gives back the in-flight slots taken; call exactly once when an admitted call ends
 */
record Admission(boolean admitted, Quota quota, String message, String fix, long retryAfterSeconds,
                 Runnable release) {

    static final Runnable NOTHING = () -> { };

    static Admission admit(Quota quota, Runnable release) {
        return new Admission(true, quota, null, null, 0, release);
    }

    static Admission refuse(Quota quota, String message, String fix, long retryAfterSeconds) {
        return new Admission(false, quota, message, fix, Math.max(1, retryAfterSeconds), NOTHING);
    }
}
