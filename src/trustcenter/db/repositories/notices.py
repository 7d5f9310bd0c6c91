"""Reading and writing user notices, their exceptions and the notice worker's claims.

The bulk UPDATEs of a notice's state name the declared transitions they apply
(``trustcenter.domain.notice_states``); a test checks each against the state machine."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, exists, func, or_, select, update

from trustcenter.db.models import Account, Agency, LegalBasis, Notice, NoticeException, Request
from trustcenter.db.repositories import Repository
from trustcenter.domain.notice_states import DELIVER, GIVE_UP, SUPPRESS, NoticeStatus

_SCHEDULED = NoticeStatus.SCHEDULED.value  # claimable, retried, or released from a claim
_CHUNK = 500  # request ids per IN (...) list

#: a claimed notice with what its text needs: the user, the request and the authority's kind
ClaimedRow = tuple[Notice, Account, Request, str]


def holding_exception(today: date) -> ColumnElement[bool]:
    """True for a notice whose request has an exception in force on ``today``."""
    return exists().where(
        NoticeException.request_id == Notice.request_id,
        NoticeException.lifted_at.is_(None),
        or_(NoticeException.ends_on.is_(None), NoticeException.ends_on >= today),
    )


def _claimable(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Scheduled, due, out of any lease or back-off, and held back by no exception."""
    return (
        Notice.status == _SCHEDULED,
        Notice.due_at <= now,
        or_(Notice.available_at.is_(None), Notice.available_at <= now),
        ~holding_exception(now.date()),
    )


class NoticeRepository(Repository):
    """User notices, their exceptions and the notice worker's claims."""

    async def legal_basis(self, basis_id: uuid.UUID) -> LegalBasis | None:
        """The legal basis with this id (from the unit's identity map when loaded)."""
        return await self._session.get(LegalBasis, basis_id)

    async def request_exists(self, request_id: uuid.UUID) -> bool:
        """Whether the request exists."""
        return await self._session.get(Request, request_id) is not None

    async def of_requests(self, request_ids: Sequence[uuid.UUID]) -> Sequence[Notice]:
        """These requests' notices, the next due first."""
        rows = await self._session.scalars(
            select(Notice).where(Notice.request_id.in_(request_ids)).order_by(Notice.due_at)
        )
        return rows.all()

    async def listing(
        self, status: NoticeStatus | None, limit: int | None = None
    ) -> list[tuple[Notice, str]]:
        """Every notice (only those in ``status`` if given; the first ``limit`` if given), the
        next due first, with its request's jurisdiction."""
        query = (
            select(Notice, Request.jurisdiction)
            .join(Request, Request.id == Notice.request_id)
            .order_by(Notice.due_at, Notice.id)
        )
        if status:
            query = query.where(Notice.status == status)
        if limit is not None:
            query = query.limit(limit)
        return [(n, j) for n, j in (await self._session.execute(query)).all()]

    async def of_request_in(self, request_id: uuid.UUID, status: NoticeStatus) -> Sequence[Notice]:
        """The request's notices in ``status``."""
        rows = await self._session.scalars(
            select(Notice).where(Notice.request_id == request_id, Notice.status == status.value)
        )
        return rows.all()

    async def suppress_scheduled(self, request_id: uuid.UUID) -> None:
        """Bulk: the request's scheduled notices become suppressed."""
        await self._session.execute(
            update(Notice)
            .where(Notice.request_id == request_id, Notice.status == SUPPRESS.source.value)
            .values(status=SUPPRESS.target.value)
        )

    async def unlifted_exceptions_of(self, request_id: uuid.UUID) -> Sequence[NoticeException]:
        """The request's exceptions not lifted."""
        rows = await self._session.scalars(
            select(NoticeException).where(
                NoticeException.request_id == request_id, NoticeException.lifted_at.is_(None)
            )
        )
        return rows.all()

    async def unlifted_exceptions_for(
        self, request_ids: Collection[uuid.UUID]
    ) -> list[NoticeException]:
        """These requests' exceptions not lifted, each request's first recorded first."""
        out: list[NoticeException] = []
        ids = list(request_ids)
        for start in range(0, len(ids), _CHUNK):
            rows = await self._session.scalars(
                select(NoticeException)
                .where(
                    NoticeException.request_id.in_(ids[start : start + _CHUNK]),
                    NoticeException.lifted_at.is_(None),
                )
                .order_by(NoticeException.recorded_at)
            )
            out.extend(rows.all())
        return out

    async def exceptions_for(self, request_ids: Collection[uuid.UUID]) -> list[NoticeException]:
        """Every exception recorded on these requests, lifted ones too, oldest first."""
        out: list[NoticeException] = []
        ids = list(request_ids)
        for start in range(0, len(ids), _CHUNK):
            rows = await self._session.scalars(
                select(NoticeException)
                .where(NoticeException.request_id.in_(ids[start : start + _CHUNK]))
                .order_by(NoticeException.recorded_at, NoticeException.id)
            )
            out.extend(rows.all())
        return out

    async def lock_exception(self, exception_id: uuid.UUID) -> NoticeException | None:
        """The exception, locked for update."""
        return await self._session.get(NoticeException, exception_id, with_for_update=True)

    async def exceptions_due_for_review(self, now: datetime) -> list[NoticeException]:
        """Exceptions not lifted whose re-review is due by ``now``, the most overdue first."""
        rows = await self._session.scalars(
            select(NoticeException)
            .where(NoticeException.lifted_at.is_(None), NoticeException.review_due_at <= now)
            .order_by(NoticeException.review_due_at)
        )
        return list(rows.all())

    async def unheld_requests_in(self, status: NoticeStatus, today: date) -> Sequence[uuid.UUID]:
        """The requests with notices in ``status`` that no exception holds back on ``today``."""
        rows = await self._session.scalars(
            select(Notice.request_id)
            .where(Notice.status == status.value, ~holding_exception(today))
            .distinct()
        )
        return rows.all()

    async def release_all_claims(self) -> int:
        """Forget every claim on a scheduled notice; how many."""
        done = await self._session.execute(
            update(Notice)
            .where(Notice.status == _SCHEDULED, Notice.claimed_by.is_not(None))
            .values(claimed_by=None, available_at=None)
        )
        return int(getattr(done, "rowcount", 0) or 0)

    async def claim_due(
        self, now: datetime, limit: int, token: str, lease_until: datetime
    ) -> list[uuid.UUID]:
        """Claim (lease, count an attempt) up to ``limit`` due notices not locked; their ids."""
        ids = list(
            (
                await self._session.scalars(
                    select(Notice.id)
                    .where(*_claimable(now))
                    .order_by(Notice.due_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True, of=Notice)
                )
            ).all()
        )
        if ids:
            await self._session.execute(
                update(Notice)
                .where(Notice.id.in_(ids))
                .values(claimed_by=token, available_at=lease_until, attempts=Notice.attempts + 1)
            )
        return ids

    async def claimed_rows(self, ids: Sequence[uuid.UUID]) -> list[ClaimedRow]:
        """These notices, reloaded, with their account, request and authority kind."""
        rows = await self._session.execute(
            select(Notice, Account, Request, Agency.kind)
            .join(Account, Account.id == Notice.account_id)
            .join(Request, Request.id == Notice.request_id)
            .join(Agency, Agency.id == Request.agency_id)
            .where(Notice.id.in_(ids))
            .order_by(Notice.due_at)
            .execution_options(populate_existing=True)
        )
        return [(n, a, r, k) for n, a, r, k in rows]

    async def mark_delivered(
        self, ids: Sequence[uuid.UUID], token: str, now: datetime, deliveries: int
    ) -> list[uuid.UUID]:
        """Bulk: those still claimed by ``token`` become delivered; their requests' ids."""
        done = await self._session.execute(
            update(Notice)
            .where(
                Notice.id.in_(ids),
                Notice.claimed_by == token,
                Notice.status == DELIVER.source.value,
            )
            .values(
                status=DELIVER.target.value,
                delivered_at=now,
                deliveries=Notice.deliveries + deliveries,
                claimed_by=None,
                available_at=None,
                last_error=None,
            )
            .returning(Notice.id, Notice.request_id)
        )
        return [row[1] for row in done.all()]

    async def give_up(self, notice_id: uuid.UUID, token: str, error: str) -> bool:
        """If still claimed by ``token``, the notice becomes failed; whether it did."""
        return await self._end_claim(notice_id, token, error, None)

    async def back_off(self, notice_id: uuid.UUID, token: str, error: str, until: datetime) -> bool:
        """If still claimed by ``token``, release it until ``until``; whether it was."""
        return await self._end_claim(notice_id, token, error, until)

    async def _end_claim(
        self, notice_id: uuid.UUID, token: str, error: str, until: datetime | None
    ) -> bool:
        """A failed delivery's claim ends, only if ``token`` still holds it: the notice is
        tried again from ``until``, or (None) fails for good."""
        stmt = (
            update(Notice)
            .where(
                Notice.id == notice_id,
                Notice.claimed_by == token,
                Notice.status == GIVE_UP.source.value,
            )
            .values(claimed_by=None, last_error=error, available_at=until)
        )
        if until is None:
            stmt = stmt.values(status=GIVE_UP.target.value)
        done = await self._session.execute(stmt)
        return bool(getattr(done, "rowcount", 0))

    async def count_due(self, now: datetime) -> int:
        """How many notices are claimable at ``now``."""
        count = await self._session.scalar(
            select(func.count()).select_from(Notice).where(*_claimable(now))
        )
        return int(count or 0)
