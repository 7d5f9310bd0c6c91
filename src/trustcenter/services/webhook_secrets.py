"""Webhook signing secrets at rest: AES-256-GCM under ``TRUSTCENTER_SECRET_KEY`` (the sealing
the token signing keys use, ``auth.key_sealing``), in clear when the setting is absent
(development). The endpoint's id is the associated data, so a secret copied onto another
endpoint's row does not open. The delivery worker opens them with :func:`opened`."""

from __future__ import annotations

import uuid

from trustcenter.auth.key_sealing import open_sealed, seal


def _label(endpoint_id: uuid.UUID) -> str:
    return f"webhook:{endpoint_id}"


def sealed(key: bytes | None, endpoint_id: uuid.UUID, secret: str) -> str:
    """The secret as stored."""
    return seal(key, _label(endpoint_id), secret) if key else secret


def opened(key: bytes | None, endpoint_id: uuid.UUID, stored: str) -> str:
    """The ``whsec_`` secret of a stored value, sealed or not (``KeySealingError`` when it
    was sealed under another key, or the key is missing)."""
    return open_sealed(key, _label(endpoint_id), stored)
