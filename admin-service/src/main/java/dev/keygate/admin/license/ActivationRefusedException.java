package dev.keygate.admin.license;

import org.springframework.http.HttpStatus;

/** An activation the license does not allow; the message says why and what would allow it. */
class ActivationRefusedException extends RuntimeException {

    private final HttpStatus status;
    private final String slug;
    private final String title;

    ActivationRefusedException(HttpStatus status, String slug, String title, String message) {
        super(message);
        this.status = status;
        this.slug = slug;
        this.title = title;
    }

    HttpStatus status() {
        return status;
    }

    String slug() {
        return slug;
    }

    String title() {
        return title;
    }
}
