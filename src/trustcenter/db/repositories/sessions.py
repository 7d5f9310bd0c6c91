"""Reading and writing staff members' signed-in sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CursorResult, select, update

from trustcenter.db.models import StaffMember, StaffSession
from trustcenter.db.repositories import Repository


class SessionRepository(Repository):
    """Staff members' signed-in sessions."""

    async def with_member(self, token_sha256: str) -> tuple[StaffSession, StaffMember] | None:
        """The session whose token has this digest and its member, in one statement."""
        stmt = (
            select(StaffSession, StaffMember)
            .join(StaffMember, StaffMember.id == StaffSession.staff_id)
            .where(StaffSession.token_sha256 == token_sha256)
        )
        row = (await self._session.execute(stmt)).first()
        return None if row is None else (row[0], row[1])

    async def end(self, token_sha256: str, now: datetime, *, stage: str | None = None) -> bool:
        """End the session (optionally only while it is at ``stage``); False when it had ended
        already (or was at another stage)."""
        stmt = (
            update(StaffSession)
            .where(StaffSession.token_sha256 == token_sha256, StaffSession.ended_at.is_(None))
            .values(ended_at=now)
            .execution_options(synchronize_session=False)
        )
        if stage is not None:
            stmt = stmt.where(StaffSession.stage == stage)
        result = await self._session.execute(stmt)
        assert isinstance(result, CursorResult)
        return bool(result.rowcount)

    async def end_all_of(self, staff_id: uuid.UUID, now: datetime) -> int:
        """End every open session of a member (signed in or half-way); how many were open."""
        stmt = (
            update(StaffSession)
            .where(StaffSession.staff_id == staff_id, StaffSession.ended_at.is_(None))
            .values(ended_at=now)
            .execution_options(synchronize_session=False)
        )
        result = await self._session.execute(stmt)
        assert isinstance(result, CursorResult)
        return int(result.rowcount)

    async def touch(self, token_sha256: str, now: datetime, idle_expires_at: datetime) -> None:
        """Note that the open session was used at ``now`` and slide its idle expiry."""
        stmt = (
            update(StaffSession)
            .where(StaffSession.token_sha256 == token_sha256, StaffSession.ended_at.is_(None))
            .values(last_seen_at=now, idle_expires_at=idle_expires_at)
            .execution_options(synchronize_session=False)
        )
        await self._session.execute(stmt)
