package dev.keygate.admin.provider;

/** The caller may not make this change: a predefined entry, or a field their role may not set (403). */
class CatalogForbiddenException extends RuntimeException {

    CatalogForbiddenException(String message) {
        super(message);
    }
}
