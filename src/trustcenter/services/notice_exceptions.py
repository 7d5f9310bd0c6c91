"""Lawful exceptions to the delayed notice (SPEC section 5): while one holds, the request's
notices are suppressed; lifting the last one makes them due again."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, datetime
from typing import TYPE_CHECKING

from trustcenter.auth.principal import Principal
from trustcenter.db.models import NoticeException
from trustcenter.db.uow import UnitOfWork
from trustcenter.domain.errors import DomainError, ErrorCode, Problem
from trustcenter.domain.notice_policy import REVIEW_EVERY as REVIEW_EVERY  # re-exported
from trustcenter.domain.notice_policy import ExceptionKind as ExceptionKind  # re-exported
from trustcenter.domain.notice_states import RESUME, NoticeStatus, move
from trustcenter.services.access import authorize
from trustcenter.services.audit import actor_of
from trustcenter.services.changes import not_found, require_text

if TYPE_CHECKING:
    from trustcenter.services.deps import AppParts


async def active_exception(
    uow: UnitOfWork, request_id: uuid.UUID, today: date
) -> NoticeException | None:
    rows = await uow.notices.unlifted_exceptions_of(request_id)
    holding = [e for e in rows if e.holds_on(today)]
    return holding[0] if holding else None


async def exceptions_holding(
    uow: UnitOfWork, request_ids: Collection[uuid.UUID], today: date
) -> dict[uuid.UUID, str]:
    """For each of these requests with an exception in force today, the kind of the first one
    recorded."""
    held = await exception_rows_holding(uow, request_ids, today)
    return {request_id: e.kind for request_id, e in held.items()}


async def exception_rows_holding(
    uow: UnitOfWork, request_ids: Collection[uuid.UUID], today: date
) -> dict[uuid.UUID, NoticeException]:
    """For each of these requests with an exception in force today, the first one recorded."""
    out: dict[uuid.UUID, NoticeException] = {}
    for e in await uow.notices.unlifted_exceptions_for(request_ids):
        if e.holds_on(today):
            out.setdefault(e.request_id, e)
    return out


async def resume_notices(uow: UnitOfWork, request_id: uuid.UUID, now: datetime) -> int:
    """The request's suppressed notices are scheduled again, due now at the latest; how many."""
    rows = await uow.notices.of_request_in(request_id, RESUME.source)
    for notice in rows:
        notice.status = move(NoticeStatus(notice.status), RESUME.target).value
        notice.due_at = max(notice.due_at, now)
    return len(rows)


async def record_exception(
    app: AppParts,
    principal: Principal,
    request_id: uuid.UUID,
    kind: ExceptionKind,
    justification: str,
    reference: str | None = None,
    ends_on: date | None = None,
) -> NoticeException:
    """Hold the request's notices back; audited. Exceptions without an end date come up for
    re-review every 90 days."""
    authorize(principal, "record_notice_exception")
    clock = app.clock
    now = clock.now()
    problems: list[Problem] = []
    if not justification.strip():
        problems.append(Problem("justification", "is required", ErrorCode.INVALID_INPUT))
    if kind is ExceptionKind.COURT_ORDER_OR_LAW and not (reference or "").strip():
        problems.append(
            Problem("reference", "name the court order or the law", ErrorCode.INVALID_INPUT)
        )
    if ends_on is not None and ends_on < now.date():
        problems.append(Problem("endsOn", "is in the past", ErrorCode.INVALID_INPUT))
    if problems:
        raise DomainError(problems)
    async with app.uow() as uow:
        if not await uow.notices.request_exists(request_id):
            raise not_found()
        exception = NoticeException(
            request_id=request_id,
            kind=kind.value,
            reference=(reference or "").strip() or None,
            ends_on=ends_on,
            justification=justification.strip(),
            recorded_by=principal.client_id or "",
            recorded_at=now,
            review_due_at=now + REVIEW_EVERY if ends_on is None else None,
        )
        uow.add(exception)
        await uow.notices.suppress_scheduled(request_id)
        await uow.flush()
        await uow.audit.record(
            clock,
            actor_of(principal),
            "notice_exception.recorded",
            ("notice_exception", exception.id),
            request_id=request_id,
            data={
                "kind": kind.value,
                "reference": exception.reference,
                "ends_on": ends_on.isoformat() if ends_on else None,
                "justification": exception.justification,
            },
        )
    return exception


async def _change(
    app: AppParts, principal: Principal, exception_id: uuid.UUID, text: str, action: str
) -> NoticeException:
    """Lift or confirm an active exception (the caller has authorized the principal)."""
    clock = app.clock
    reason = require_text("justification", text)
    now = clock.now()
    async with app.uow() as uow:
        exception = await uow.notices.lock_exception(exception_id)
        if exception is None or exception.lifted_at is not None:
            raise DomainError.single("exceptionId", "no such active exception", ErrorCode.NOT_FOUND)
        if action == "lifted":
            exception.lifted_at, exception.lifted_by = now, principal.client_id
            exception.lift_reason = reason
            if await active_exception(uow, exception.request_id, now.date()) is None:
                await resume_notices(uow, exception.request_id, now)
        else:
            if exception.review_due_at is None:
                raise DomainError.single(
                    "exceptionId", "it ends on a date: no re-review", ErrorCode.INVALID_INPUT
                )
            exception.review_due_at = now + REVIEW_EVERY
        await uow.audit.record(
            clock,
            actor_of(principal),
            f"notice_exception.{action}",
            ("notice_exception", exception.id),
            request_id=exception.request_id,
            data={"justification": reason},
        )
    return exception


async def lift_exception(
    app: AppParts, principal: Principal, exception_id: uuid.UUID, reason: str
) -> NoticeException:
    """End an exception; if none other holds, the notices are due again (not before now)."""
    authorize(principal, "lift_notice_exception")
    return await _change(app, principal, exception_id, reason, "lifted")


async def confirm_exception(
    app: AppParts, principal: Principal, exception_id: uuid.UUID, justification: str
) -> NoticeException:
    """Re-review: the exception still holds; it comes up again in 90 days."""
    authorize(principal, "confirm_notice_exception")
    return await _change(app, principal, exception_id, justification, "confirmed")


async def due_for_review(app: AppParts, principal: Principal) -> list[NoticeException]:
    """Exceptions without an end date whose re-review is due, the most overdue first."""
    authorize(principal, "notice_exceptions_due")
    async with app.uow.read() as uow:
        return await uow.notices.exceptions_due_for_review(app.clock.now())
