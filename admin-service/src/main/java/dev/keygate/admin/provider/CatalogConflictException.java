package dev.keygate.admin.provider;

/** A name is already taken among the providers, or a provider's models, the tenant sees (409). */
class CatalogConflictException extends RuntimeException {

    CatalogConflictException(String message) {
        super(message);
    }
}
