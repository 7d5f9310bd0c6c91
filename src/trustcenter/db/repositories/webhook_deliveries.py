"""The webhook worker's claims on the outbox of deliveries, and what it records of each try.

Claims are leases, as the notice worker's (``db.repositories.notices``): claiming sets
``claimed_by`` and ``available_at`` (the lease's end) and counts an attempt; every later write
of a delivery's outcome holds only while the same token still holds the claim."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, select, update

from trustcenter.db.models import WebhookDelivery, WebhookEndpoint
from trustcenter.db.repositories import Repository
from trustcenter.domain.webhooks import DeliveryStatus

_PENDING = DeliveryStatus.PENDING.value


def _claimable(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Pending, out of any lease or back-off, for an endpoint that is enabled."""
    return (
        WebhookDelivery.status == _PENDING,
        WebhookDelivery.available_at <= now,
        exists().where(
            WebhookEndpoint.id == WebhookDelivery.endpoint_id, WebhookEndpoint.enabled.is_(True)
        ),
    )


def _held(ids: Sequence[uuid.UUID], token: str) -> tuple[ColumnElement[bool], ...]:
    return (
        WebhookDelivery.id.in_(ids),
        WebhookDelivery.claimed_by == token,
        WebhookDelivery.status == _PENDING,
    )


class WebhookDeliveryRepository(Repository):
    """The outbox of webhook deliveries as the worker sees it, and the endpoints' health."""

    async def claim_due(
        self, now: datetime, limit: int, token: str, lease_until: datetime
    ) -> list[uuid.UUID]:
        """Claim (lease, count an attempt) up to ``limit`` due deliveries not locked by another
        worker (``FOR UPDATE SKIP LOCKED`` on PostgreSQL); their ids."""
        ids = list(
            (
                await self._session.scalars(
                    select(WebhookDelivery.id)
                    .where(*_claimable(now))
                    .order_by(WebhookDelivery.available_at, WebhookDelivery.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True, of=WebhookDelivery)
                )
            ).all()
        )
        if ids:
            await self._session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(ids))
                .values(
                    claimed_by=token,
                    available_at=lease_until,
                    attempts=WebhookDelivery.attempts + 1,
                )
            )
        return ids

    async def claimed(
        self, ids: Sequence[uuid.UUID]
    ) -> list[tuple[WebhookDelivery, WebhookEndpoint]]:
        """These deliveries, reloaded, each with its endpoint."""
        rows = await self._session.execute(
            select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.id.in_(ids))
            .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
            .execution_options(populate_existing=True)
        )
        return [(d, e) for d, e in rows]

    async def mark_delivered(
        self, ids: Sequence[uuid.UUID], token: str, now: datetime, status: dict[uuid.UUID, int]
    ) -> list[uuid.UUID]:
        """Those still claimed by ``token`` become delivered; their endpoints' ids."""
        if not ids:
            return []
        done = await self._session.execute(
            update(WebhookDelivery)
            .where(*_held(ids, token))
            .values(
                status=DeliveryStatus.DELIVERED.value,
                delivered_at=now,
                claimed_by=None,
                last_error=None,
            )
            .returning(WebhookDelivery.id, WebhookDelivery.endpoint_id)
        )
        rows = done.all()
        codes: dict[int, list[uuid.UUID]] = {}
        for delivery_id, _ in rows:
            codes.setdefault(status[delivery_id], []).append(delivery_id)
        for code, with_code in codes.items():  # the receivers' 2xx, one statement per code
            await self._session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(with_code))
                .values(last_status=code)
            )
        return [endpoint_id for _, endpoint_id in rows]

    async def end_claim(
        self,
        delivery_id: uuid.UUID,
        token: str,
        *,
        status: int | None,
        error: str,
        retry_at: datetime | None,
    ) -> bool:
        """A failed try's claim ends, if ``token`` still holds it: the delivery is tried again
        from ``retry_at``, or (None) becomes failed. Whether the claim was still held."""
        values: dict[str, object] = {"claimed_by": None, "last_status": status, "last_error": error}
        if retry_at is None:
            values["status"] = DeliveryStatus.FAILED.value
        else:
            values["available_at"] = retry_at
        done = await self._session.execute(
            update(WebhookDelivery).where(*_held([delivery_id], token)).values(**values)
        )
        return bool(getattr(done, "rowcount", 0))

    async def release(self, ids: Sequence[uuid.UUID], token: str, now: datetime) -> None:
        """Claims ``token`` still holds on deliveries it did not send end: due again now, the
        attempt the claim counted taken back."""
        if ids:
            await self._session.execute(
                update(WebhookDelivery)
                .where(*_held(ids, token))
                .values(claimed_by=None, available_at=now, attempts=WebhookDelivery.attempts - 1)
            )

    async def release_all_claims(self, now: datetime) -> int:
        """Forget every claim on a pending delivery (due at once); how many."""
        done = await self._session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == _PENDING, WebhookDelivery.claimed_by.is_not(None))
            .values(claimed_by=None, available_at=now)
        )
        return int(getattr(done, "rowcount", 0) or 0)

    async def count_due(self, now: datetime) -> int:
        """How many deliveries are claimable at ``now``."""
        count = await self._session.scalar(
            select(func.count()).select_from(WebhookDelivery).where(*_claimable(now))
        )
        return int(count or 0)

    async def endpoints_answered(self, ids: Sequence[uuid.UUID]) -> None:
        """These endpoints acknowledged a delivery: they are not failing any more."""
        if ids:
            await self._session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id.in_(ids), WebhookEndpoint.failing_since.is_not(None))
                .values(failing_since=None)
            )

    async def endpoints_failed(self, ids: Sequence[uuid.UUID], now: datetime) -> None:
        """These endpoints failed a delivery: failing since now, unless they already were."""
        if ids:
            await self._session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id.in_(ids), WebhookEndpoint.failing_since.is_(None))
                .values(failing_since=now)
            )

    async def disable_failing(
        self, since: datetime, now: datetime, reason: str
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """Endpoints enabled and failing since ``since`` or earlier are disabled, and their
        pending deliveries fail; the (endpoint, agency) ids disabled."""
        done = await self._session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.enabled.is_(True), WebhookEndpoint.failing_since <= since)
            .values(
                enabled=False,
                disabled_reason=reason,
                disabled_at=now,
                updated_at=now,
                version=WebhookEndpoint.version + 1,
            )
            .returning(WebhookEndpoint.id, WebhookEndpoint.agency_id)
        )
        disabled = [(e, a) for e, a in done.all()]
        if disabled:
            await self._session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.endpoint_id.in_([e for e, _ in disabled]),
                    WebhookDelivery.status == _PENDING,
                )
                .values(
                    status=DeliveryStatus.FAILED.value,
                    claimed_by=None,
                    last_error=f"not sent: the endpoint was disabled ({reason})",
                )
            )
        return disabled

    async def find(self, ref: uuid.UUID | str) -> tuple[WebhookDelivery, bool] | None:
        """The delivery with this id (or ``webhook-id``), locked, and whether its endpoint is
        enabled."""
        key = WebhookDelivery.id if isinstance(ref, uuid.UUID) else WebhookDelivery.message_id
        row = (
            await self._session.execute(
                select(WebhookDelivery, WebhookEndpoint.enabled)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .where(key == ref)
                .with_for_update(of=WebhookDelivery)
            )
        ).first()
        return None if row is None else (row[0], bool(row[1]))

    async def retry_failed(self, delivery_id: uuid.UUID, now: datetime) -> bool:
        """A failed delivery is pending again, due now, its three days counted from now (its
        ``webhook-id`` is kept); whether it was failed."""
        done = await self._session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.status == DeliveryStatus.FAILED.value,
            )
            .values(status=_PENDING, available_at=now, created_at=now, claimed_by=None, attempts=0)
        )
        return bool(getattr(done, "rowcount", 0))
