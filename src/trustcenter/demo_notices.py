"""The demo's user notices, so that ``trustcenter worker --once`` shows the whole path.

Every demo request that was released (disclosed, or closed after a release) has its sealed
package and one notice per affected user, scheduled by the release itself
(``services.disclosure.release``, played by :mod:`demo_requests`). Notices that fell due long
ago were delivered (their outbox rows are there); the six most recently due are left for the
worker to show what it does:

* two plain ones, due now;
* one held by a court order that is still in force (nothing is sent);
* one whose court order ended two days ago (the worker makes it due again and sends it);
* one held for risk of harm and one for child abuse, both without an end date (they come up
  for re-review 90 days after they were recorded).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from trustcenter.db import models as m
from trustcenter.domain.enums import DecisionOutcome
from trustcenter.domain.lifecycle import RequestStatus
from trustcenter.domain.notice_policy import REVIEW_EVERY, ExceptionKind
from trustcenter.domain.notice_states import NoticeStatus, move
from trustcenter.domain.notice_text import NoticeFacts, compose, language_for
from trustcenter.services.notice_worker import idempotency_key

DAY = timedelta(days=1)
RELEASED = (RequestStatus.DISCLOSED.value, RequestStatus.CLOSED.value)
DISCLOSED_OUTCOMES = (DecisionOutcome.APPROVE.value, DecisionOutcome.NARROW.value)
STAFF = "demo-legal-reviewer"
#: what happens to the most recently due notices, newest first
SCENARIO = (
    None,
    None,
    "court_order_in_force",
    "court_order_ended",
    ExceptionKind.RISK_OF_HARM,
    ExceptionKind.CHILD_ABUSE,
)
JUSTIFICATIONS = {
    "court_order_in_force": "The court's sealing order forbids telling the user until it ends.",
    "court_order_ended": "The court's sealing order forbids telling the user until it ends.",
    ExceptionKind.RISK_OF_HARM: (
        "The agency reports that the user is under investigation for threats against a named "
        "witness; a notice now may expose the witness to a risk of injury."
    ),
    ExceptionKind.CHILD_ABUSE: "The case concerns the abuse of a child living with the user.",
}


async def add_notices(session: AsyncSession, now: datetime, rng: random.Random) -> int:
    """Disclosure records, notices, outbox rows and exceptions for the demo's released
    requests; returns how many notices were written."""
    requests = (
        await session.scalars(
            select(m.Request)
            .where(
                m.Request.status.in_(RELEASED),
                m.Request.id.in_(
                    select(m.RequestedItem.request_id).where(
                        m.RequestedItem.outcome.in_(DISCLOSED_OUTCOMES)
                    )
                ),
            )
            .order_by(m.Request.updated_at)
        )
    ).all()
    notices: list[tuple[m.Notice, m.Request]] = []
    for request in requests:
        notices.extend((n, request) for n in await _released(session, request, rng))
    due = sorted(
        ((n, r) for n, r in notices if n.due_at <= now), key=lambda nr: nr[0].due_at, reverse=True
    )
    pending_requests: list[m.Request] = []
    for _, request in due:
        if request not in pending_requests:
            pending_requests.append(request)
    plan = dict(zip((r.id for r in pending_requests), SCENARIO, strict=False))
    for request in pending_requests:
        if (case := plan.get(request.id)) is not None:
            session.add(_exception(request, case, now))
    for notice, request in notices:
        if request.id in plan:
            if plan[request.id] is not None:  # held back by the exception just recorded
                notice.status = move(NoticeStatus(notice.status), NoticeStatus.SUPPRESSED).value
        elif notice.due_at <= now:
            await _delivered(session, notice, request, rng)
    session.add_all(n for n, _ in notices)
    await session.flush()
    return len(notices)


async def _released(
    session: AsyncSession, request: m.Request, rng: random.Random
) -> list[m.Notice]:
    """The notices the request's release scheduled."""
    notices = await session.scalars(
        select(m.Notice).where(m.Notice.request_id == request.id).order_by(m.Notice.account_id)
    )
    return list(notices.all())


async def _delivered(
    session: AsyncSession, notice: m.Notice, request: m.Request, rng: random.Random
) -> None:
    account = await session.get(m.Account, notice.account_id)
    agency = await session.get(m.Agency, request.agency_id)
    assert account is not None and agency is not None
    await session.flush()  # the notice needs its id for the outbox row
    notice.status = move(NoticeStatus(notice.status), NoticeStatus.DELIVERED).value
    notice.deliveries, notice.attempts = 1, 1
    notice.delivered_at = notice.due_at + rng.uniform(1, 30) * timedelta(minutes=1)
    language = language_for(account.region, account.language)
    facts = NoticeFacts(
        requested_on=request.received_at.date(),
        authority_kind=agency.kind,
        country=request.country,
        disclosed_on=notice.released_at.date(),
        info_types=tuple(notice.info_types.split()),
    )
    subject, body = compose(facts, language)
    session.add(notice)
    await session.flush()
    session.add(
        m.OutboxMessage(
            idempotency_key=idempotency_key(notice.id),
            notice_id=notice.id,
            request_id=request.id,
            recipient=account.email or account.phone or account.username,
            language=language,
            subject=subject,
            body=body,
            created_at=notice.delivered_at,
        )
    )


def _exception(request: m.Request, case: object, now: datetime) -> m.NoticeException:
    recorded_at = request.updated_at + 3 * DAY
    court = case in ("court_order_in_force", "court_order_ended")
    ends_on = None
    if case == "court_order_in_force":
        ends_on = (now + 60 * DAY).date()
    elif case == "court_order_ended":
        ends_on = (now - 2 * DAY).date()
    kind = ExceptionKind.COURT_ORDER_OR_LAW if court else ExceptionKind(str(case))
    return m.NoticeException(
        request_id=request.id,
        kind=kind.value,
        reference=f"Sealing order {request.id.hex[:6].upper()}" if court else None,
        ends_on=ends_on,
        justification=JUSTIFICATIONS[case],  # type: ignore[index]
        recorded_by=STAFF,
        recorded_at=min(recorded_at, now),
        review_due_at=None if court else min(recorded_at, now) + REVIEW_EVERY,
    )
