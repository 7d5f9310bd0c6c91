"""Reading and writing release approvals (four eyes)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from trustcenter.db.models import ReleaseApproval, Request, RequestedItem
from trustcenter.db.repositories import Repository


class ApprovalRepository(Repository):
    """Release approvals (four eyes)."""

    async def of_request(self, request_id: uuid.UUID) -> list[ReleaseApproval]:
        """Every approval given on the request, at any version, oldest first."""
        stmt = (
            select(ReleaseApproval)
            .where(ReleaseApproval.request_id == request_id)
            .order_by(ReleaseApproval.created_at, ReleaseApproval.id)
        )
        return list((await self._session.scalars(stmt)).all())

    async def of_requests(
        self, request_ids: Sequence[uuid.UUID]
    ) -> list[tuple[ReleaseApproval, int, str]]:
        """Every approval given on these requests, each with its request's current version and
        status, oldest first (one statement)."""
        if not request_ids:
            return []
        stmt = (
            select(ReleaseApproval, Request.version, Request.status)
            .join(Request, Request.id == ReleaseApproval.request_id)
            .where(ReleaseApproval.request_id.in_(request_ids))
            .order_by(ReleaseApproval.created_at, ReleaseApproval.id)
        )
        return [(a, version, status) for a, version, status in await self._session.execute(stmt)]

    async def deciders_of(self, request_id: uuid.UUID) -> set[str]:
        """Who decided any item of the request (``decided_by``, as recorded)."""
        stmt = (
            select(RequestedItem.decided_by)
            .where(RequestedItem.request_id == request_id, RequestedItem.decided_by.is_not(None))
            .distinct()
        )
        return {by for by in (await self._session.scalars(stmt)).all() if by}
