"""Reading and writing what review reads and writes: items, targets and findings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, update

from trustcenter.db.models import Finding, RequestedItem, Target
from trustcenter.db.repositories import Repository


class ReviewRepository(Repository):
    """What review reads and writes: items, targets and findings."""

    # --- items and targets ----------------------------------------------------------------

    async def lock_items(self, request_id: uuid.UUID) -> list[RequestedItem]:
        """Every item of the request, in id order, locked."""
        stmt = (
            select(RequestedItem)
            .where(RequestedItem.request_id == request_id)
            .order_by(RequestedItem.id)
            .with_for_update()
        )
        return list((await self._session.scalars(stmt)).all())

    async def clear_decisions(self, request_id: uuid.UUID, outcome: str) -> None:
        """Make the request's items with that outcome undecided again (one UPDATE)."""
        await self._session.execute(
            update(RequestedItem)
            .where(RequestedItem.request_id == request_id, RequestedItem.outcome == outcome)
            .values(
                outcome=None, reason_code=None, explanation=None, decided_at=None, decided_by=None
            )
        )

    async def targets_of(self, request_id: uuid.UUID) -> list[Target]:
        """Every target of the request."""
        stmt = select(Target).where(Target.request_id == request_id)
        return list((await self._session.scalars(stmt)).all())

    async def unresolved_targets(self, request_id: uuid.UUID) -> list[Target]:
        """The request's targets not looked up yet."""
        stmt = select(Target).where(Target.request_id == request_id, Target.resolved_at.is_(None))
        return list((await self._session.scalars(stmt)).all())

    # --- findings -------------------------------------------------------------------------

    async def findings_of(self, request_ids: Sequence[uuid.UUID]) -> list[Finding]:
        """The findings of those requests, in no particular order."""
        stmt = select(Finding).where(Finding.request_id.in_(request_ids))
        return list((await self._session.scalars(stmt)).all())

    async def findings_of_request(self, request_id: uuid.UUID) -> list[Finding]:
        """Every finding of the request, resolved or not, in no particular order."""
        stmt = select(Finding).where(Finding.request_id == request_id)
        return list((await self._session.scalars(stmt)).all())

    async def standing_findings(self, request_id: uuid.UUID, severity: str) -> list[Finding]:
        """The request's findings of that severity neither overridden nor resolved."""
        stmt = select(Finding).where(
            Finding.request_id == request_id,
            Finding.severity == severity,
            Finding.overridden_at.is_(None),
            Finding.resolved_at.is_(None),
        )
        return list((await self._session.scalars(stmt)).all())

    async def lock_finding(self, finding_id: uuid.UUID) -> Finding | None:
        """The finding, locked; None when there is no such finding."""
        return await self._session.get(Finding, finding_id, with_for_update=True)
