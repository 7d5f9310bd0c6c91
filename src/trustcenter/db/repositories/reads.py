"""Reading and writing the read side: pages, counts and the rows the loaders batch.

Lists come back as Core rows (attribute access by column name, no ORM identity map), as in
``repositories.requests``; readers turn them into views.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select

from trustcenter.db.models import Agency, Disclosure, Message, Request
from trustcenter.db.repositories import Repository


class ReadRepository(Repository):
    """The read side: pages, counts and the rows the loaders batch."""

    async def agencies(self, ids: Sequence[uuid.UUID]) -> list[Agency]:
        """The agencies with these ids (in no particular order)."""
        rows = await self._session.scalars(select(Agency).where(Agency.id.in_(ids)))
        return list(rows.all())

    async def agency_rows(self, ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
        """The agencies with these ids as Core rows (in no particular order): a reader's,
        without the ORM's instances."""
        stmt = select(Agency.__table__).where(Agency.id.in_(ids))
        return list((await self._session.execute(stmt)).all())

    async def messages_of(
        self, request_ids: Sequence[uuid.UUID], agency_id: uuid.UUID | None
    ) -> list[Row[Any]]:
        """The requests' messages, oldest first; with ``agency_id``, only its requests'."""
        stmt = select(Message.__table__).where(Message.request_id.in_(request_ids))
        if agency_id is not None:
            stmt = stmt.join(Request, Request.id == Message.request_id).where(
                Request.agency_id == agency_id
            )
        return list((await self._session.execute(stmt.order_by(Message.created_at))).all())

    async def disclosures_of(
        self, request_ids: Sequence[uuid.UUID], agency_id: uuid.UUID | None
    ) -> list[Row[Any]]:
        """The requests' released packages; with ``agency_id``, only that agency's."""
        stmt = select(Disclosure.__table__).where(Disclosure.request_id.in_(request_ids))
        if agency_id is not None:
            stmt = stmt.where(Disclosure.agency_id == agency_id)
        return list((await self._session.execute(stmt)).all())
