"""Reading and writing disclosures and their packages."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import insert, select

from trustcenter.db.models import Disclosure, DisclosureChunk, LegalBasis, RequestedItem, Target
from trustcenter.db.repositories import Repository


class DisclosureRepository(Repository):
    """Disclosures and their packages."""

    async def get(self, disclosure_id: uuid.UUID) -> Disclosure | None:
        """The disclosure with this id, if any."""
        return await self._session.get(Disclosure, disclosure_id)

    async def items_with_outcome(
        self, request_id: uuid.UUID, outcomes: Collection[str]
    ) -> list[RequestedItem]:
        """The request's items decided with one of ``outcomes``."""
        stmt = select(RequestedItem).where(
            RequestedItem.request_id == request_id, RequestedItem.outcome.in_(outcomes)
        )
        return list((await self._session.scalars(stmt)).all())

    async def targets_of(self, request_id: uuid.UUID) -> list[Target]:
        """The request's targets in their order."""
        stmt = select(Target).where(Target.request_id == request_id).order_by(Target.position)
        return list((await self._session.scalars(stmt)).all())

    async def legal_basis(self, legal_basis_id: uuid.UUID) -> LegalBasis | None:
        """The legal basis with this id, if any."""
        return await self._session.get(LegalBasis, legal_basis_id)

    async def insert_chunk(
        self, disclosure_id: uuid.UUID, index: int, nonce: bytes, ciphertext: bytes
    ) -> None:
        """Insert a sealed chunk of the package at once (nothing kept in the unit)."""
        await self._session.execute(
            insert(DisclosureChunk).values(
                disclosure_id=disclosure_id, idx=index, nonce=nonce, ciphertext=ciphertext
            )
        )

    async def chunk(self, disclosure_id: uuid.UUID, index: int) -> tuple[bytes, bytes] | None:
        """Nonce and ciphertext of the package's chunk ``index``, if stored."""
        chunk = await self._session.get(DisclosureChunk, (disclosure_id, index))
        return (chunk.nonce, chunk.ciphertext) if chunk is not None else None
