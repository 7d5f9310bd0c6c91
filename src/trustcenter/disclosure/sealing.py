"""AES-GCM in chunks, so a package of any size is sealed and opened in bounded memory.

Each chunk has its own random nonce; its associated data binds the package format, the request,
the agency, the chunk's position and whether it is the last one. A chunk moved to another
request's package, reordered, or a package cut short therefore fails to open.
"""

from __future__ import annotations

import secrets
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = b"trustcenter-disclosure/1"
CHUNK_SIZE = 256 * 1024


class PackageIntegrityError(Exception):
    """A stored package did not open: it was altered, moved, cut short or the key is wrong."""


def associated_data(request_id: uuid.UUID, agency_id: uuid.UUID, index: int, last: bool) -> bytes:
    return b"|".join(
        [
            FORMAT,
            str(request_id).encode(),
            str(agency_id).encode(),
            str(index).encode(),
            b"last" if last else b"more",
        ]
    )


def seal(key: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    nonce = secrets.token_bytes(12)
    return nonce, AESGCM(key).encrypt(nonce, plaintext, aad)


def open_chunk(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise PackageIntegrityError("a chunk of the package failed authentication") from None
