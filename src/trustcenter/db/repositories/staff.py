"""Reading and writing staff members (people) and their signed-in sessions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from trustcenter.db.models import StaffMember
from trustcenter.db.repositories import Repository
from trustcenter.domain.staff import StaffStatus


class StaffRepository(Repository):
    """Staff members."""

    async def get(self, staff_id: uuid.UUID) -> StaffMember | None:
        """The member by id (the unit's copy when it has read it already)."""
        return await self._session.get(StaffMember, staff_id)

    async def lock(self, staff_id: uuid.UUID) -> StaffMember | None:
        """The member by id, locked until the unit ends."""
        return await self._session.get(StaffMember, staff_id, with_for_update=True)

    async def by_email(self, email: str, *, lock: bool = False) -> StaffMember | None:
        """The member whose sign-in name is ``email`` (already lower-case), optionally locked."""
        stmt = select(StaffMember).where(StaffMember.email == email)
        if lock:
            stmt = stmt.with_for_update()
        return (await self._session.scalars(stmt)).first()

    async def by_oidc_subject(self, subject: str) -> StaffMember | None:
        """The member linked to the single sign-on subject (issuer and ``sub``), locked."""
        stmt = select(StaffMember).where(StaffMember.oidc_subject == subject).with_for_update()
        return (await self._session.scalars(stmt)).first()

    async def by_ids(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, StaffMember]:
        """The members among ``ids``, by id."""
        if not ids:
            return {}
        rows = await self._session.scalars(select(StaffMember).where(StaffMember.id.in_(ids)))
        return {row.id: row for row in rows}

    async def all(self, status: str | None = None) -> list[StaffMember]:
        """Every member (or those with ``status``), by name then e-mail address."""
        stmt = select(StaffMember).order_by(StaffMember.name, StaffMember.email)
        if status is not None:
            stmt = stmt.where(StaffMember.status == status)
        return list((await self._session.scalars(stmt)).all())

    async def active_mentioning(self, role: str) -> list[StaffMember]:
        """Active members whose roles column mentions ``role``, by id, locked until the unit
        ends (the caller reads their exact roles)."""
        stmt = (
            select(StaffMember)
            .where(StaffMember.status == StaffStatus.ACTIVE.value, StaffMember.roles.contains(role))
            .order_by(StaffMember.id)
            .with_for_update()
        )
        return list((await self._session.scalars(stmt)).all())
