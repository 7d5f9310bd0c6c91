"""Reading and writing staff-only internal notes on requests and request assignment."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from trustcenter.db.models import InternalNote, StaffMember
from trustcenter.db.repositories import Repository


class NoteRepository(Repository):
    """Staff-only internal notes on requests and request assignment."""

    async def of_requests(self, request_ids: Sequence[uuid.UUID]) -> list[InternalNote]:
        """The notes on these requests, each request's oldest first (one statement)."""
        if not request_ids:
            return []
        stmt = (
            select(InternalNote)
            .where(InternalNote.request_id.in_(request_ids))
            .order_by(InternalNote.request_id, InternalNote.created_at, InternalNote.id)
        )
        return list((await self._session.scalars(stmt)).all())

    async def assignee(self, staff_id: uuid.UUID) -> StaffMember | None:
        """The staff member a request is to be assigned to, locked so that they are not
        disabled while the assignment is written."""
        stmt = select(StaffMember).where(StaffMember.id == staff_id).with_for_update()
        return (await self._session.scalars(stmt)).first()

    async def staff_names(self, staff_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The names of these staff members, by id (one statement)."""
        if not staff_ids:
            return {}
        stmt = select(StaffMember.id, StaffMember.name).where(StaffMember.id.in_(staff_ids))
        return {row.id: row.name for row in await self._session.execute(stmt)}
