"""Legal documents an agency uploads: stored sealed, read by reviewers and their uploader.

``POST /documents`` streams one PDF, PNG or JPEG through ``upload``: its type is read from its
first bytes (never from a header) and its end marker checked at its end (what counts as each
type: ``domain.document_types``); it is sealed in chunks as they fill (AES-GCM under the
disclosure key ring, each chunk bound to the document, the agency, its position and the last
flag) with its SHA-256 computed on the way, and it is refused as soon as it passes the limit,
leaving nothing stored (nor is anything left of a body cut short or of a client that went
away). An upload is kept for a day; attaching it to a request's legal basis or to an answer
(``services.document_rules.attach``) keeps it for good; uploads and every pass of the notice
worker delete the expired ones. ``open_document`` hands a document to staff with ``review``
and to the agency that uploaded it — anyone else gets the same answer as for an id that does
not exist — after checking it whole against its digest (``services.sealed``), and audits who
read it.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from trustcenter.auth.principal import Principal
from trustcenter.clock import Clock
from trustcenter.db.models import Document
from trustcenter.db.uow import UnitOfWorks
from trustcenter.disclosure.keyring import KeyRing
from trustcenter.disclosure.package import ChunkWriter
from trustcenter.disclosure.sealing import AadFor, StoreChunk, bound_data, sealing_sink
from trustcenter.domain.audit import SYSTEM, Actor
from trustcenter.domain.document_types import HEAD, TAIL, DocumentType, incomplete, sniff
from trustcenter.services.access import AccessDenied, NotAuthenticated, authorize
from trustcenter.services.audit import actor_of
from trustcenter.services.deps import AppParts
from trustcenter.services.sealed import Sealed, chunk_fetcher, read_checked

FORMAT = b"trustcenter-document/1"
#: an upload not attached within this time is deleted
UNATTACHED_FOR = timedelta(days=1)


class DocumentNotFound(Exception):
    """No such document for this principal (answered as 404, whoever asks)."""


class DocumentTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"a document may be at most {limit} bytes")
        self.limit = limit


class UnsupportedDocument(Exception):
    """The body is empty, not a PDF, PNG or JPEG by its content, or one cut short
    (``domain.document_types``)."""

    EMPTY = "empty"
    UNSUPPORTED = "unsupported"
    INCOMPLETE = "incomplete"

    def __init__(self, why: str, message: str | None = None) -> None:
        super().__init__(
            message
            or (
                "the body is empty: send the document's bytes"
                if why == self.EMPTY
                else "only PDF, PNG and JPEG documents are accepted (recognised by their content)"
            )
        )
        self.why = why
        self.empty = why == self.EMPTY


def _aad(document: Document) -> AadFor:
    return lambda index, last: bound_data(FORMAT, (document.id, document.agency_id), index, last)


def _uploader(principal: Principal) -> uuid.UUID:
    """The agency the upload is stored for: only a verified one uploads."""
    agency_id = principal.agency_id
    assert agency_id is not None  # authorize lets only an agency's client upload
    if not principal.agency_verified:
        raise AccessDenied("a verified agency")
    return agency_id


async def _head(body: AsyncIterator[bytes], limit: int) -> bytes:
    """Enough of the body to tell its type (all of it, when it is shorter)."""
    head = bytearray()
    while len(head) < HEAD:
        try:
            head += await anext(body)
        except StopAsyncIteration:
            break
        if len(head) > limit:
            raise DocumentTooLarge(limit)
    return bytes(head)


async def upload(
    app: AppParts, principal: Principal, body: AsyncIterator[bytes], limit: int
) -> Document:
    """Store the streamed body (at most ``limit`` bytes) as the agency's document; return it
    (``id``, ``sha256``, ``size``, ``content_type``). Only one sealed chunk is in memory at a
    time."""
    authorize(principal, "upload_document")
    agency_id = _uploader(principal)
    work, clock, keys = app.uow, app.clock, app.disclosure_keys
    await purge_expired(work, clock)
    head = await _head(body, limit)
    kind = sniff(head)
    if kind is None:
        raise UnsupportedDocument(
            UnsupportedDocument.UNSUPPORTED if head else UnsupportedDocument.EMPTY
        )
    document = _new_document(agency_id, principal, keys, kind, clock.now())
    async with work() as uow:
        uow.add(document)
    writer = ChunkWriter(sealing_sink(keys.current, _aad(document), _chunk_store(work, document)))
    try:
        await _write_body(writer, kind, head, body, limit)
        sha256 = await writer.close()
        await _complete(work, clock, principal, document, sha256, writer)
    except BaseException:
        with contextlib.suppress(Exception):
            await _delete(work, [document.id])
        raise
    document.sha256, document.size, document.chunk_count = sha256, writer.length, writer.chunks
    return document


def _new_document(
    agency_id: uuid.UUID, principal: Principal, keys: KeyRing, kind: DocumentType, now: datetime
) -> Document:
    return Document(
        id=uuid.uuid4(),
        agency_id=agency_id,
        client_id=principal.client_pk,
        sha256="",  # still being written: invisible until its digest is recorded
        size=0,
        content_type=kind.content_type,
        chunk_count=0,
        key_id=keys.current_id,
        uploaded_at=now,
        expires_at=now + UNATTACHED_FOR,  # a crashed upload is purged with the expired ones
        attached_at=None,
    )


def _chunk_store(work: UnitOfWorks, document: Document) -> StoreChunk:
    async def store(index: int, nonce: bytes, ciphertext: bytes) -> None:
        # each chunk in a short transaction of its own: a slow upload holds no lock
        async with work() as uow:
            uow.documents.add_chunk(document.id, index, nonce, ciphertext)

    return store


async def _write_body(
    writer: ChunkWriter, kind: DocumentType, head: bytes, body: AsyncIterator[bytes], limit: int
) -> None:
    """Seal the rest of the body after its ``head``, refusing it past ``limit`` bytes or when
    it lacks its type's end marker."""
    await writer.write(head)
    tail = head[-TAIL:]
    async for piece in body:
        if writer.length + len(piece) > limit:
            raise DocumentTooLarge(limit)
        await writer.write(piece)
        tail = (tail + piece)[-TAIL:]
    cut_short = incomplete(kind, tail, writer.length)
    if cut_short is not None:
        raise UnsupportedDocument(UnsupportedDocument.INCOMPLETE, cut_short)


async def _complete(
    work: UnitOfWorks,
    clock: Clock,
    principal: Principal,
    document: Document,
    sha256: str,
    writer: ChunkWriter,
) -> None:
    """Record the digest (the document becomes visible) and audit the upload."""
    async with work() as uow:
        await uow.documents.record_digest(document.id, sha256, writer.length, writer.chunks)
        await uow.audit.record(
            clock,
            actor_of(principal),
            "document.uploaded",
            ("document", document.id),
            data={"sha256": sha256, "size": writer.length, "content_type": document.content_type},
        )


async def _delete(work: UnitOfWorks, ids: list[uuid.UUID]) -> None:
    async with work() as uow:
        await uow.documents.delete_with_chunks(ids)


async def purge_expired(work: UnitOfWorks, clock: Clock, actor: Actor = SYSTEM) -> int:
    """Delete the uploads nobody attached within a day; return how many."""
    now = clock.now()
    async with work.read() as uow:
        if not await uow.documents.any_expired(now):
            return 0
    async with work() as uow:
        # another purge at the same moment (a second worker) skips what this one deletes
        ids = await uow.documents.lock_expired(now)
        if not ids:
            return 0
        await uow.documents.delete_with_chunks(ids)
        await uow.audit.record(
            clock,
            actor,
            "documents.purged",
            ("document", "unattached"),
            data={"count": len(ids), "documents": sorted(str(i) for i in ids)},
        )
    return len(ids)


def _may_read(principal: Principal, document: Document, clock: Clock) -> bool:
    """A complete upload, attached or still within its day, read by staff (``authorize`` let
    only reviewers through) or by the agency that uploaded it."""
    if not document.sha256:
        return False
    if document.attached_at is None and (
        document.expires_at is None or document.expires_at <= clock.now()
    ):
        return False
    return principal.is_staff or (
        principal.agency_id is not None and document.agency_id == principal.agency_id
    )


async def open_document(
    app: AppParts, principal: Principal, document_id: uuid.UUID
) -> tuple[Document, AsyncIterator[bytes]]:
    """The document for a reviewer or its uploader, checked whole before a byte is sent;
    the read is audited with who read it. Anyone else's refusal is answered exactly as an id
    that does not exist."""
    try:
        authorize(principal, "read_document")
    except (NotAuthenticated, AccessDenied):
        raise DocumentNotFound() from None
    work, clock = app.uow, app.clock
    async with work.read() as uow:
        document = await uow.documents.get(document_id)
    if document is None or not _may_read(principal, document, clock):
        raise DocumentNotFound()
    body = await read_checked(
        work,
        clock,
        principal,
        app.disclosure_keys,
        _sealed(document),
        chunk_fetcher(work, lambda uow: uow.documents, document.id),
        "document.read",
        {
            "sha256": document.sha256,
            "size": document.size,
            "reader": principal.client_id,
            "reader_kind": principal.kind.value,
            "reader_agency": str(principal.agency_id) if principal.agency_id else None,
        },
    )
    return document, body


def _sealed(document: Document) -> Sealed:
    return Sealed(
        "document",
        document.id,
        document.request_id,
        document.sha256,
        document.key_id,
        document.chunk_count,
        _aad(document),
    )
