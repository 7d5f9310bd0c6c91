"""Reading and writing documents (legal-basis uploads, sealed documents) and their rules."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, select, update

from trustcenter.db.models import Document, DocumentChunk, LegalBasis
from trustcenter.db.repositories import Repository


def _expired(now: datetime) -> ColumnElement[bool]:
    return (Document.attached_at.is_(None)) & (Document.expires_at <= now)


class DocumentRepository(Repository):
    """Documents (legal-basis uploads, sealed documents) and their rules."""

    async def get(self, document_id: uuid.UUID) -> Document | None:
        """The document with this id, if any."""
        return await self._session.get(Document, document_id)

    async def lock_of_agency(
        self, ids: Sequence[uuid.UUID], agency_id: uuid.UUID | None
    ) -> list[Document]:
        """Those of the documents that the agency uploaded, locked (``FOR UPDATE``)."""
        stmt = (
            select(Document)
            .where(Document.id.in_(set(ids)), Document.agency_id == agency_id)
            .with_for_update()
        )
        return list((await self._session.scalars(stmt)).all())

    async def attach_unattached(
        self,
        ids: Sequence[uuid.UUID],
        agency_id: uuid.UUID | None,
        now: datetime,
        request_id: uuid.UUID,
        legal_basis_id: uuid.UUID | None,
        message_id: uuid.UUID | None,
    ) -> int:
        """Attach those of the agency's documents still unattached; return how many were."""
        done = await self._session.execute(
            update(Document)
            .where(
                Document.id.in_(set(ids)),
                Document.agency_id == agency_id,
                Document.attached_at.is_(None),
            )
            .values(
                attached_at=now,
                expires_at=None,
                request_id=request_id,
                legal_basis_id=legal_basis_id,
                message_id=message_id,
            )
            .execution_options(synchronize_session="evaluate")
        )
        return int(getattr(done, "rowcount", len(ids)))

    async def any_attached_to(self, request_id: uuid.UUID) -> bool:
        """Whether a document is attached to the request."""
        found = await self._session.scalar(
            select(Document.id).where(Document.request_id == request_id).limit(1)
        )
        return found is not None

    async def legacy_digest(self, legal_basis_id: uuid.UUID) -> str | None:
        """The digest of the legal basis's legacy (base64) document, if it has one."""
        return await self._session.scalar(
            select(LegalBasis.document_sha256).where(LegalBasis.id == legal_basis_id)
        )

    async def legal_basis_kind(self, legal_basis_id: uuid.UUID) -> str | None:
        """The kind of the legal basis."""
        return await self._session.scalar(
            select(LegalBasis.kind).where(LegalBasis.id == legal_basis_id)
        )

    async def attached_to(self, column: str, ids: Sequence[uuid.UUID]) -> list[Document]:
        """Attached documents whose ``column`` (legal_basis_id, message_id) is among ``ids``,
        oldest first."""
        stmt = (
            select(Document)
            .where(getattr(Document, column).in_(ids), Document.attached_at.is_not(None))
            .order_by(Document.uploaded_at, Document.id)
        )
        return list((await self._session.scalars(stmt)).all())

    def add_chunk(
        self, document_id: uuid.UUID, index: int, nonce: bytes, ciphertext: bytes
    ) -> None:
        """Register a sealed chunk of the document (inserted when the unit flushes)."""
        self._session.add(
            DocumentChunk(document_id=document_id, idx=index, nonce=nonce, ciphertext=ciphertext)
        )

    async def chunk(self, document_id: uuid.UUID, index: int) -> tuple[bytes, bytes] | None:
        """Nonce and ciphertext of the document's chunk ``index``, if stored."""
        chunk = await self._session.get(DocumentChunk, (document_id, index))
        return (chunk.nonce, chunk.ciphertext) if chunk is not None else None

    async def record_digest(
        self, document_id: uuid.UUID, sha256: str, size: int, chunk_count: int
    ) -> None:
        """Record the document's digest, size and chunk count."""
        await self._session.execute(
            update(Document)
            .where(Document.id == document_id)
            .values(sha256=sha256, size=size, chunk_count=chunk_count)
        )

    async def delete_with_chunks(self, ids: Sequence[uuid.UUID]) -> None:
        """Delete the documents and their chunks."""
        await self._session.execute(delete(DocumentChunk).where(DocumentChunk.document_id.in_(ids)))
        await self._session.execute(delete(Document).where(Document.id.in_(ids)))

    async def any_expired(self, now: datetime) -> bool:
        """Whether an unattached upload is past its day."""
        stmt = select(Document.id).where(_expired(now)).limit(1)
        return (await self._session.scalars(stmt)).first() is not None

    async def lock_expired(self, now: datetime) -> list[uuid.UUID]:
        """Ids of the unattached uploads past their day, locked, skipping those locked by
        another purge."""
        stmt = select(Document.id).where(_expired(now)).with_for_update(skip_locked=True)
        return list((await self._session.scalars(stmt)).all())
