"""Webhook endpoints' signing secrets at rest, sealed like the token signing keys.

A stored secret is either ``whsec_…`` in clear (no ``TRUSTCENTER_SECRET_KEY``: development) or
``enc:v1:`` followed by base64url(nonce ‖ ciphertext‖tag), AES-256-GCM under the secret key
(``auth.key_sealing``). The associated data is ``webhook-endpoint:<endpoint id>``, so a sealed
secret copied onto another endpoint does not open. Whoever writes an endpoint's ``secret`` or
``previous_secret`` seals it with :func:`seal_secret`; the delivery worker opens it with
:func:`open_secret`.
"""

from __future__ import annotations

import uuid

from cryptography.exceptions import InvalidTag

from trustcenter.auth.key_sealing import is_sealed, seal, unseal


class SecretBoxError(Exception):
    """A stored endpoint secret cannot be opened; the message says what to configure."""


def _associated(endpoint_id: uuid.UUID) -> str:
    return f"webhook-endpoint:{endpoint_id}"


def seal_secret(key: bytes | None, endpoint_id: uuid.UUID, secret: str) -> str:
    """What to store for ``secret``: sealed under ``key``, or in clear without one."""
    return secret if key is None else seal(key, _associated(endpoint_id), secret)


def open_secret(key: bytes | None, endpoint_id: uuid.UUID, stored: str) -> str:
    """The ``whsec_…`` secret of a stored value, sealed or not."""
    if not is_sealed(stored):
        return stored
    if key is None:
        raise SecretBoxError(
            f"the secret of webhook endpoint {endpoint_id} is encrypted: set "
            "TRUSTCENTER_SECRET_KEY to the key it was encrypted with"
        )
    try:
        return unseal(key, _associated(endpoint_id), stored)
    except InvalidTag:
        raise SecretBoxError(
            f"the secret of webhook endpoint {endpoint_id} does not open with "
            "TRUSTCENTER_SECRET_KEY: it was encrypted with another key"
        ) from None
