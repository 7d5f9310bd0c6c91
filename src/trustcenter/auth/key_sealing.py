"""Token signing keys at rest: AES-256-GCM under ``TRUSTCENTER_SECRET_KEY``.

A stored private key is either the JWK in clear (a development database without the setting,
or one from before it was set) or ``enc:v1:`` followed by base64url(nonce ‖ ciphertext‖tag). The
key id is the associated data, so a sealed key copied onto another row does not open.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "enc:v1:"
NONCE_BYTES = 12


class KeySealingError(Exception):
    """A stored signing key cannot be opened; the message says what to configure."""


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def seal(secret: bytes, kid: str, private_jwk: str) -> str:
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(secret).encrypt(nonce, private_jwk.encode(), kid.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def open_sealed(secret: bytes | None, kid: str, stored: str) -> str:
    """The private JWK of a stored value, sealed or not."""
    if not is_sealed(stored):
        return stored
    if secret is None:
        raise KeySealingError(
            f"signing key {kid} is encrypted: set TRUSTCENTER_SECRET_KEY to the key it was "
            "encrypted with"
        )
    try:
        return unseal(secret, kid, stored)
    except InvalidTag:
        raise KeySealingError(
            f"signing key {kid} does not open with TRUSTCENTER_SECRET_KEY: it was encrypted "
            "with another key"
        ) from None


def unseal(secret: bytes, associated: str, stored: str) -> str:
    """The clear text of a sealed value; ``InvalidTag`` when another key or associated data
    sealed it."""
    raw = base64.urlsafe_b64decode(stored[len(PREFIX) :])
    opened = AESGCM(secret).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated.encode())
    return opened.decode()
