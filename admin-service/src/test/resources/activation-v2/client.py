"""Keygate activation v2, reference client in Python (needs requests and cryptography).

Usage: python3 client.py SERVER_URL LICENSE_KEY HARDWARE_ID   (prints the proxy key)

The device makes an ephemeral X25519 key pair, sends its public key with the license key and hardware id, and opens
the proxy key the server sealed to it: X25519, HKDF-SHA256 (salt = device SPKI || server SPKI,
info = "keygate activation v2"), AES-256-GCM with the hardware id as associated data. See docs/activation.md.
"""
import base64
import sys

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def activate(server_url, license_key, hardware_id):
    device = X25519PrivateKey.generate()
    device_spki = device.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    response = requests.post(f"{server_url}/api/v1/activations", json={
        "license_key": license_key,
        "hardware_id": hardware_id,
        "public_key": base64.b64encode(device_spki).decode(),
    }, timeout=30)
    response.raise_for_status()
    sealed = response.json()

    server_spki = base64.b64decode(sealed["server_public_key"])
    shared = device.exchange(serialization.load_der_public_key(server_spki))
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=device_spki + server_spki,
               info=b"keygate activation v2").derive(shared)
    return AESGCM(key).decrypt(base64.b64decode(sealed["nonce"]), base64.b64decode(sealed["sealed_key"]),
                               hardware_id.encode("utf-8")).decode("utf-8")


if __name__ == "__main__":
    print(activate(sys.argv[1], sys.argv[2], sys.argv[3]))
