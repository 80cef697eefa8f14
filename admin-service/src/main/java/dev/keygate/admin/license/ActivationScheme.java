package dev.keygate.admin.license;

/** How a device received its proxy key: see docs/activation.md. */
enum ActivationScheme {

    /** Seed 001's {@code POST /activate}: AES-256-CBC under the license key itself. */
    LEGACY("legacy"),
    /** {@code POST /api/v1/activations}: sealed to the device's ephemeral key (ECDH, HKDF-SHA256, AES-256-GCM). */
    SEALED("sealed");

    private final String id;

    ActivationScheme(String id) {
        this.id = id;
    }

    String id() {
        return id;
    }
}
