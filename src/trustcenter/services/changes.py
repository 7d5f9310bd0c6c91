"""The common steps of every change to a request: find it as the principal may see it, lock
it, check the caller's version, apply a named transition, bump the version, audit it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from trustcenter.auth.principal import Principal
from trustcenter.clock import Clock
from trustcenter.db.models import Message, Request
from trustcenter.db.uow import UnitOfWork
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.lifecycle import Activity, Operation, RequestStatus, check, transition
from trustcenter.domain.report import RESPONSES, Outcome, outcome_after
from trustcenter.domain.webhooks import EVENT_OF, EventType
from trustcenter.services.audit import actor_of
from trustcenter.services.webhook_events import enqueue


def not_found() -> DomainError:
    return DomainError.single("requestId", "no such request", ErrorCode.NOT_FOUND)


async def lock_request(
    uow: UnitOfWork,
    principal: Principal,
    request_id: uuid.UUID,
    version: int | None,
    *,
    agency_only: bool,
    operation: Operation | Activity | None = None,
) -> Request:
    """The request, locked for this transaction. An agency only finds its own; a request it
    cannot see is 'no such request', exactly like one that does not exist. With ``operation``
    (or an activity), the request's status must allow it (``domain.lifecycle.check``): the one
    check before the use case does anything; :func:`apply` then moves it."""
    if agency_only:
        row = await uow.requests.lock_of_agency(request_id, principal.agency_id)
    else:
        row = await uow.requests.lock(request_id)
    if row is None:
        raise not_found()
    if version is not None and version != row.version:
        raise DomainError.single(
            "version",
            f"the request changed since you read it (version {version}, now {row.version}); "
            "read it again and decide on what it is now",
            ErrorCode.CONFLICT,
        )
    if operation is not None:
        check(operation, RequestStatus(row.status))
    return row


async def apply(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    row: Request,
    operation: Operation | None,
    action: str,
    data: Mapping[str, Any] | None = None,
    event: EventType | None = None,
) -> None:
    """Move the request by ``operation`` (or only record a change), bump its version, audit,
    and owe the agency's webhooks the status event it is (``domain.webhooks.EVENT_OF``, or
    ``event`` for a change that is no transition) in the same transaction."""
    before = RequestStatus(row.status)
    now = clock.now()
    if operation is not None:
        after = transition(before, operation)
        row.status = after.value
        row.report_outcome = outcome_after(Outcome(row.report_outcome), after).value
        if after in RESPONSES and row.responded_at is None:
            row.responded_at = now
    row.version += 1
    row.updated_at = now
    await uow.audit.record(
        clock,
        actor_of(principal),
        action,
        ("request", row.id),
        request_id=row.id,
        data={"from": before.value, "to": row.status, "version": row.version, **(data or {})},
    )
    told = event or (EVENT_OF.get(operation) if operation is not None else None)
    if told is not None:
        await enqueue(uow, clock, row, told)


async def post_message(
    uow: UnitOfWork, clock: Clock, principal: Principal, row: Request, body: str
) -> Message:
    message = Message(
        request_id=row.id,
        author_kind=principal.kind.value,
        author_id=principal.client_id or "",
        body=body.strip(),
        created_at=clock.now(),
    )
    uow.add(message)
    await uow.flush()
    await uow.audit.record(
        clock,
        actor_of(principal),
        "message.posted",
        ("message", message.id),
        request_id=row.id,
        data={"length": len(message.body)},
    )
    return message


def require_text(field: str, value: str | None, limit: int = 4000) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError.single(field, "is required", ErrorCode.INVALID_INPUT)
    if len(text) > limit:
        raise DomainError.single(
            field, f"is longer than {limit} characters", ErrorCode.INVALID_INPUT
        )
    return text
