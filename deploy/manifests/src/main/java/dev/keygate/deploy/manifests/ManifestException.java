package dev.keygate.deploy.manifests;

/** A manifest that cannot be read, rendered or bound: a missing file, an unknown field, a failing patch. */
final class ManifestException extends RuntimeException {

    ManifestException(String message) {
        super(message);
    }
}
