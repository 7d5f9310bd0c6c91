"""Delayed user notices: scheduled when a disclosure is released (in the release transaction),
one per affected user — the owner of each account or product the disclosure touched."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from trustcenter.auth.principal import Principal
from trustcenter.clock import Clock
from trustcenter.db.models import (
    Account,
    Notice,
    NoticeException,
    Product,
    Request,
    RequestedItem,
    Target,
)
from trustcenter.db.uow import UnitOfWork, UnitOfWorks
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.notice_states import OPEN_NOTICE_STATES, NoticeStatus, move
from trustcenter.services.access import authorize
from trustcenter.services.audit import actor_of
from trustcenter.services.notice_exceptions import (
    active_exception,
    exception_rows_holding,
    exceptions_holding,
)

if TYPE_CHECKING:
    from trustcenter.services.deps import AppParts

#: the rows read per request: notices, or the exceptions holding them back
R = TypeVar("R", Notice, NoticeException)


def due_date(released_at: datetime, delay: timedelta, gag_until: date | None) -> datetime:
    """Release + the jurisdiction's delay, pushed back to the day after a non-disclosure order
    ends when that is later."""
    due = released_at + delay
    if gag_until is not None:
        ends = datetime.combine(gag_until + timedelta(days=1), time(), UTC)
        due = max(due, ends)
    return due


async def affected_accounts(
    uow: UnitOfWork, targets: Sequence[Target], items: Sequence[RequestedItem] = ()
) -> dict[uuid.UUID, set[str]]:
    """The users a disclosure concerns (accounts named, owners of products and orders named),
    each with the information types disclosed about them, in the order the targets came."""
    owners: dict[uuid.UUID, set[str]] = {}
    subjects = await uow.userdata.subjects_for(targets)
    for target in targets:
        subject = subjects.get(target.id)
        owner = (
            subject.id
            if isinstance(subject, Account)
            else (subject.account_id if isinstance(subject, Product) else None)
        )
        if owner is not None:
            owners.setdefault(owner, set()).update(
                i.info_type for i in items if i.target_id == target.id
            )
    return owners


async def schedule(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    request: Request,
    disclosure_id: uuid.UUID,
    targets: Sequence[Target],
    items: Sequence[RequestedItem],
    delay: timedelta,
) -> list[Notice]:
    """One scheduled notice per affected user, in the caller's (release) transaction; ``items``
    are the released ones, so each notice knows which information types concern its user."""
    basis = await uow.notices.legal_basis(request.legal_basis_id)
    now = clock.now()
    held = await active_exception(uow, request.id, now.date()) is not None
    due = due_date(now, delay, basis.non_disclosure_until if basis else None)
    # a new notice is scheduled; an exception already in force holds it back at once
    new = NoticeStatus.SCHEDULED
    status = move(new, NoticeStatus.SUPPRESSED) if held else new
    notices = [
        Notice(
            request_id=request.id,
            disclosure_id=disclosure_id,
            account_id=account,
            status=status.value,
            released_at=now,
            due_at=due,
            created_at=now,
            deliveries=0,
            attempts=0,
            info_types=" ".join(sorted(types)),
        )
        for account, types in (await affected_accounts(uow, targets, items)).items()
    ]
    uow.add_all(notices)
    await uow.flush()
    await uow.audit.record(
        clock,
        actor_of(principal),
        "notices.scheduled",
        ("request", request.id),
        request_id=request.id,
        data={"notices": len(notices), "due_at": due.isoformat(), "delay_days": delay.days},
    )
    return notices


async def notices_of(
    work: UnitOfWorks, principal: Principal, request_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Notice]]:
    """Staff only: each request's notices."""
    return await _per_request(work, principal, request_ids, lambda uow: uow.notices.of_requests)


async def holds_of(
    work: UnitOfWorks, clock: Clock, principal: Principal, request_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, NoticeException]:
    """Staff only: the exception holding each request's notices back today (the first one
    recorded when several do)."""
    authorize(principal, "read_notices")
    async with work.read() as uow:
        return await exception_rows_holding(uow, request_ids, clock.now().date())


async def exceptions_of(
    work: UnitOfWorks, principal: Principal, request_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[NoticeException]]:
    """Staff only: every exception recorded on each request, lifted ones too, oldest first."""
    return await _per_request(work, principal, request_ids, lambda uow: uow.notices.exceptions_for)


async def _per_request(
    work: UnitOfWorks,
    principal: Principal,
    request_ids: Sequence[uuid.UUID],
    reader: Callable[[UnitOfWork], Callable[[Sequence[uuid.UUID]], Awaitable[Sequence[R]]]],
) -> dict[uuid.UUID, list[R]]:
    """Staff only: the rows ``reader`` finds for these requests, grouped by request."""
    authorize(principal, "read_notices")
    out: dict[uuid.UUID, list[R]] = {i: [] for i in request_ids}
    async with work.read() as uow:
        for row in await reader(uow)(request_ids):
            out[row.request_id].append(row)
    return out


#: the most notices one listing returns
MAX_LISTED = 500


async def notices_in(
    app: AppParts, principal: Principal, status: NoticeStatus, first: int
) -> list[Notice]:
    """Staff: the first ``first`` notices in ``status``, the next due first."""
    authorize(principal, "read_notices")
    if not 1 <= first <= MAX_LISTED:
        raise DomainError.single(
            "first", f"give between 1 and {MAX_LISTED}", ErrorCode.INVALID_INPUT
        )
    async with app.uow.read() as uow:
        return [n for n, _ in await uow.notices.listing(status, first)]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def notice_listing(
    app: AppParts, principal: Principal, status: NoticeStatus | None = None
) -> list[dict[str, Any]]:
    """Operators (CLI): every notice, the next due first, with the kind of the exception
    holding it back today (null when none does)."""
    authorize(principal, "read_notices")
    today = app.clock.now().date()
    async with app.uow.read() as uow:
        rows = await uow.notices.listing(status)
        held = await exceptions_holding(uow, {n.request_id for n, _ in rows}, today)
    return [
        {
            "id": str(n.id),
            "request_id": str(n.request_id),
            "jurisdiction": jurisdiction,
            "status": n.status,
            "released_at": _iso(n.released_at),
            "due_at": _iso(n.due_at),
            "exception": held.get(n.request_id) if n.status in OPEN_NOTICE_STATES else None,
            "deliveries": n.deliveries,
            "delivered_at": _iso(n.delivered_at),
            "attempts": n.attempts,
            "last_error": n.last_error,
        }
        for n, jurisdiction in rows
    ]
