"""Handing a sealed object — a disclosure package, a legal document — to the one reading it.

The object is opened and checked whole against its recorded SHA-256 before a byte is sent: a
chunk altered, moved, missing or opened under the wrong key is caught here, audited as
``<kind>.integrity_failed`` and raised; otherwise the read is audited (``read_action``) and
the plaintext is returned as a fresh stream of the chunks. Who may read is the caller's rule,
decided before this is called."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from trustcenter.auth.principal import Principal
from trustcenter.clock import Clock
from trustcenter.db.uow import UnitOfWork, UnitOfWorks
from trustcenter.disclosure.keyring import KeyRing
from trustcenter.disclosure.sealing import (
    AadFor,
    FetchChunk,
    PackageIntegrityError,
    check_digest,
    open_chunks,
)
from trustcenter.services.audit import actor_of


@dataclass(frozen=True, slots=True)
class Sealed:
    """A stored, sealed object: what opening and checking it needs."""

    kind: str  # the audit subject type: "disclosure", "document"
    id: uuid.UUID
    request_id: uuid.UUID | None
    sha256: str
    key_id: str
    chunk_count: int
    aad: AadFor


class ChunkSource(Protocol):
    """A repository holding sealed chunks by owner and position."""

    async def chunk(self, owner_id: uuid.UUID, index: int, /) -> tuple[bytes, bytes] | None: ...


def chunk_fetcher(
    work: UnitOfWorks, source: Callable[[UnitOfWork], ChunkSource], owner_id: uuid.UUID
) -> FetchChunk:
    """Fetches chunk ``index`` of ``owner_id`` from the unit's repository ``source`` picks
    (``lambda uow: uow.documents``), each in a short read of its own."""

    async def fetch(index: int) -> tuple[bytes, bytes] | None:
        async with work.read() as uow:
            return await source(uow).chunk(owner_id, index)

    return fetch


def plaintext(keys: KeyRing, sealed: Sealed, fetch: FetchChunk) -> AsyncIterator[bytes]:
    return open_chunks(keys.key(sealed.key_id), sealed.chunk_count, sealed.aad, fetch)


async def read_checked(
    work: UnitOfWorks,
    clock: Clock,
    principal: Principal,
    keys: KeyRing,
    sealed: Sealed,
    fetch: FetchChunk,
    read_action: str,
    read_data: Mapping[str, Any],
) -> AsyncIterator[bytes]:
    """The object's plaintext once it has been checked whole; the read (or the failed check)
    is audited with who read it."""
    try:
        await check_digest(plaintext(keys, sealed, fetch), sealed.sha256)
    except PackageIntegrityError as error:
        async with work() as uow:
            await uow.audit.record(
                clock,
                actor_of(principal),
                f"{sealed.kind}.integrity_failed",
                (sealed.kind, sealed.id),
                request_id=sealed.request_id,
                data={"error": str(error)},
            )
        raise
    async with work() as uow:
        await uow.audit.record(
            clock,
            actor_of(principal),
            read_action,
            (sealed.kind, sealed.id),
            request_id=sealed.request_id,
            data=dict(read_data),
        )
    return plaintext(keys, sealed, fetch)
