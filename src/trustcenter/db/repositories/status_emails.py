"""The status e-mails' outbox, the worker's side: claims by lease (``FOR UPDATE SKIP LOCKED``
on PostgreSQL, as the notices'), and the outcome of each, only while the claim is still held."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update

from trustcenter.db.models import StatusEmail
from trustcenter.db.repositories import Repository
from trustcenter.domain.webhooks import DeliveryStatus

_PENDING = DeliveryStatus.PENDING.value


class StatusEmailRepository(Repository):
    """Status e-mails owed, claimed and delivered."""

    async def claim_due(
        self, now: datetime, limit: int, token: str, lease_until: datetime
    ) -> list[StatusEmail]:
        """Claim (lease, count an attempt) up to ``limit`` due e-mails nobody else holds."""
        ids = list(
            await self._session.scalars(
                select(StatusEmail.id)
                .where(StatusEmail.status == _PENDING, StatusEmail.available_at <= now)
                .order_by(StatusEmail.available_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
        await self._session.execute(
            update(StatusEmail)
            .where(StatusEmail.id.in_(ids))
            .values(claimed_by=token, available_at=lease_until, attempts=StatusEmail.attempts + 1)
        )
        rows = await self._session.scalars(
            select(StatusEmail)
            .where(StatusEmail.id.in_(ids))
            .order_by(StatusEmail.created_at)
            .execution_options(populate_existing=True)
        )
        return list(rows)

    async def mark_delivered(self, ids: Sequence[uuid.UUID], token: str, now: datetime) -> int:
        """Those still claimed by ``token`` are delivered; how many."""
        if not ids:
            return 0
        done = await self._session.execute(
            update(StatusEmail)
            .where(StatusEmail.id.in_(ids), StatusEmail.claimed_by == token)
            .values(
                status=DeliveryStatus.DELIVERED.value,
                delivered_at=now,
                claimed_by=None,
                last_error=None,
            )
        )
        return int(getattr(done, "rowcount", 0))

    async def end_claim(
        self, email_id: uuid.UUID, token: str, error: str, until: datetime | None
    ) -> bool:
        """A failed attempt: tried again from ``until``, or (None) failed for good; only while
        ``token`` holds the claim."""
        values: dict[str, object] = {"claimed_by": None, "last_error": error}
        if until is None:
            values["status"] = DeliveryStatus.FAILED.value
        else:
            values["available_at"] = until
        done = await self._session.execute(
            update(StatusEmail)
            .where(StatusEmail.id == email_id, StatusEmail.claimed_by == token)
            .values(**values)
        )
        return bool(getattr(done, "rowcount", 0))

    async def count(self, status: DeliveryStatus) -> int:
        return int(
            await self._session.scalar(
                select(func.count())
                .select_from(StatusEmail)
                .where(StatusEmail.status == status.value)
            )
            or 0
        )
