"""The agencies' webhook endpoints, and the deliveries owed to them as the change that caused
them writes them (the transactional outbox's writing side; the worker's claims are not here)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Table, and_, bindparam, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from trustcenter.db.models import Agency, StatusEmail, WebhookDelivery, WebhookEndpoint
from trustcenter.db.repositories import Repository, Rider
from trustcenter.domain.webhooks import DELETED, DeliveryStatus

#: an endpoint the agency still sees (one it deleted stays only for the deliveries' record)
_SHOWN = WebhookEndpoint.disabled_reason.is_distinct_from(DELETED)


@dataclass(frozen=True, slots=True)
class AgencyFacts:
    """What a submission needs of its agency, as stored (``agencies``)."""

    id: uuid.UUID
    kind: str
    country: str
    verification: str
    granted_jurisdictions: str
    status_emails: bool
    contact_email: str | None


_A = cast(Table, Agency.__table__).c
_FACTS = [getattr(_A, f.name) for f in fields(AgencyFacts)]
#: the agency (one row per enabled endpoint, or one row with none), built once
_AGENCY = (
    select(*_FACTS, WebhookEndpoint.id.label("endpoint_id"), WebhookEndpoint.event_types)
    .outerjoin(
        WebhookEndpoint,
        and_(WebhookEndpoint.agency_id == _A.id, WebhookEndpoint.enabled.is_(True)),
    )
    .where(_A.id == bindparam("agency_id"))
)


@dataclass(frozen=True, slots=True)
class Subscriber:
    """An enabled endpoint as an event needs it: its id and the types it chose (as stored)."""

    id: uuid.UUID
    event_types: str


@dataclass(frozen=True, slots=True)
class Audience:
    """Who hears of an agency's events."""

    endpoints: list[Subscriber]
    #: the agency wants status e-mails (``agencies.status_emails``)
    emails: bool
    contact_email: str | None
    country: str


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    """An endpoint's deliveries since a moment: by status, and its last failure."""

    pending: int = 0
    delivered: int = 0
    failed: int = 0
    last_failure_at: datetime | None = None


class WebhookEndpointRepository(Repository):
    """Endpoints by agency, and the deliveries written for them."""

    __slots__ = ("_audiences",)

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        #: each agency's endpoints and e-mail wishes, read once per unit of work
        self._audiences: dict[uuid.UUID, Audience] = {}

    async def of_agency(self, agency_id: uuid.UUID) -> list[WebhookEndpoint]:
        """The agency's endpoints it sees, oldest first."""
        rows = await self._session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.agency_id == agency_id, _SHOWN)
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        )
        return list(rows)

    async def count_of_agency(self, agency_id: uuid.UUID) -> int:
        return int(
            await self._session.scalar(
                select(func.count())
                .select_from(WebhookEndpoint)
                .where(WebhookEndpoint.agency_id == agency_id, _SHOWN)
            )
            or 0
        )

    async def lock(
        self, endpoint_id: uuid.UUID, agency_id: uuid.UUID | None
    ) -> WebhookEndpoint | None:
        """One endpoint the agency sees (any agency's with None), locked for this
        transaction; another agency's is None, like one that does not exist."""
        query = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id, _SHOWN)
        if agency_id is not None:
            query = query.where(WebhookEndpoint.agency_id == agency_id)
        return (await self._session.scalars(query.with_for_update())).first()

    async def is_referenced(self, endpoint_id: uuid.UUID) -> bool:
        """Whether any delivery names the endpoint (it may then not be deleted for real)."""
        return bool(
            await self._session.scalar(
                select(exists().where(WebhookDelivery.endpoint_id == endpoint_id))
            )
        )

    async def audience(self, agency_id: uuid.UUID) -> Audience:
        """Who hears of the agency's events: its enabled endpoints, and whether (and where) it
        wants status e-mails. One statement per agency and unit of work (none when
        :meth:`agency` read it already), so a change to a request of an agency without
        endpoints costs at most one read."""
        found = self._audiences.get(agency_id)
        if found is None:
            await self.agency(agency_id)
            found = self._audiences[agency_id]
        return found

    async def agency(
        self, agency_id: uuid.UUID, *, rider: Rider | None = None
    ) -> AgencyFacts | None:
        """The agency, read with its audience in the same statement: a submission reads its
        agency anyway, and then owes its event without another read. A ``rider`` (another
        repository's value, such as the number of the submission's audit event) is read in the
        same statement and handed over. Core columns on the unit's connection, no ORM entity:
        a submission's agency is read on every submit, and the entity's loading cost about
        three times the statement (``docs/performance.md``, goal 3)."""
        query = _AGENCY if rider is None else _AGENCY.add_columns(rider.column.label("rider"))
        connection = await self._core()
        rows = (await connection.execute(query, {"agency_id": agency_id})).all()
        agency = AgencyFacts(*rows[0][: len(_FACTS)]) if rows else None
        if rider is not None and rows:
            rider.take(rows[0]._mapping["rider"])
        self._audiences[agency_id] = Audience(
            [Subscriber(r.endpoint_id, r.event_types) for r in rows if r.endpoint_id is not None],
            bool(agency and agency.status_emails),
            agency.contact_email if agency else None,
            agency.country if agency else "",
        )
        return agency

    def enqueue(self, rows: Sequence[WebhookDelivery | StatusEmail]) -> None:
        """Write the deliveries (and status e-mails) with the unit's transaction."""
        self._session.add_all(rows)

    async def counts(
        self, endpoint_ids: Sequence[uuid.UUID], since: datetime
    ) -> dict[uuid.UUID, DeliveryCounts]:
        """Each endpoint's deliveries created since ``since``, by status, in one query."""
        if not endpoint_ids:
            return {}
        d = WebhookDelivery

        def by(status: DeliveryStatus) -> ColumnElement[int]:
            return func.sum(case((d.status == status.value, 1), else_=0))

        failed_at = case((d.status == DeliveryStatus.FAILED.value, d.created_at), else_=None)
        rows = await self._session.execute(
            select(
                d.endpoint_id,
                by(DeliveryStatus.PENDING),
                by(DeliveryStatus.DELIVERED),
                by(DeliveryStatus.FAILED),
                func.max(failed_at),
            )
            .where(d.endpoint_id.in_(endpoint_ids), d.created_at >= since)
            .group_by(d.endpoint_id)
        )
        return {
            r[0]: DeliveryCounts(int(r[1] or 0), int(r[2] or 0), int(r[3] or 0), r[4]) for r in rows
        }

    async def deliveries(
        self, status: DeliveryStatus | None, limit: int
    ) -> list[tuple[WebhookDelivery, WebhookEndpoint]]:
        """The newest deliveries (of one status), each with its endpoint."""
        query = select(WebhookDelivery, WebhookEndpoint).join(
            WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id
        )
        if status is not None:
            query = query.where(WebhookDelivery.status == status.value)
        query = query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id).limit(limit)
        return [(r[0], r[1]) for r in await self._session.execute(query)]
