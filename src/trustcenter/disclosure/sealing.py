"""AES-GCM in chunks, so a package of any size is sealed and opened in bounded memory.

Each chunk has its own random nonce; its associated data binds the package format, the request,
the agency, the chunk's position and whether it is the last one. A chunk moved to another
request's package, reordered, or a package cut short therefore fails to open.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = b"trustcenter-disclosure/1"
CHUNK_SIZE = 256 * 1024


class PackageIntegrityError(Exception):
    """A stored package did not open: it was altered, moved, cut short or the key is wrong."""


#: the associated data of one chunk, from its position and whether it is the last one
AadFor = Callable[[int, bool], bytes]
#: stores one sealed chunk: (index, nonce, ciphertext)
StoreChunk = Callable[[int, bytes, bytes], Awaitable[None]]
#: fetches one sealed chunk by index: (nonce, ciphertext), or None when it is missing
FetchChunk = Callable[[int], Awaitable[tuple[bytes, bytes] | None]]


def bound_data(fmt: bytes, ids: Sequence[object], index: int, last: bool) -> bytes:
    """Associated data binding a chunk to its format, its owners' ids and its position."""
    return b"|".join(
        [fmt, *(str(i).encode() for i in ids), str(index).encode(), b"last" if last else b"more"]
    )


def associated_data(request_id: uuid.UUID, agency_id: uuid.UUID, index: int, last: bool) -> bytes:
    return bound_data(FORMAT, (request_id, agency_id), index, last)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    nonce = secrets.token_bytes(12)
    return nonce, AESGCM(key).encrypt(nonce, plaintext, aad)


def open_chunk(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise PackageIntegrityError("a chunk of the package failed authentication") from None


def sealing_sink(
    key: bytes, aad_for: AadFor, store: StoreChunk
) -> Callable[[int, bytes, bool], Awaitable[None]]:
    """A ``ChunkWriter`` sink that seals each chunk as it fills and hands it to ``store``."""

    async def sink(index: int, plaintext: bytes, last: bool) -> None:
        nonce, ciphertext = seal(key, plaintext, aad_for(index, last))
        await store(index, nonce, ciphertext)

    return sink


async def open_chunks(
    key: bytes, count: int, aad_for: AadFor, fetch: FetchChunk
) -> AsyncIterator[bytes]:
    """The plaintext, chunk by chunk; a missing or altered chunk raises on the way."""
    for index in range(count):
        found = await fetch(index)
        if found is None:
            raise PackageIntegrityError(f"chunk {index} is missing")
        yield open_chunk(key, found[0], found[1], aad_for(index, index == count - 1))


async def check_digest(chunks: AsyncIterator[bytes], sha256: str) -> None:
    """Open every chunk and compare the whole plaintext with its recorded SHA-256."""
    digest = hashlib.sha256()
    async for piece in chunks:
        digest.update(piece)
    if digest.hexdigest() != sha256:
        raise PackageIntegrityError("the stored bytes do not match their recorded digest")
