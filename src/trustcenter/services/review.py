"""What reviewers do: start a review, ask the agency to clarify, decide item by item, close.

Each use case needs the ``review`` scope, runs in one transaction, checks the request's state
through the lifecycle and, where the caller sends one, its version."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from trustcenter.auth.principal import Principal
from trustcenter.auth.scopes import REVIEW
from trustcenter.clock import Clock
from trustcenter.db.models import Request, RequestedItem, Target
from trustcenter.db.repositories.userdata import premium_by_target, resolve_subjects
from trustcenter.db.session import Database
from trustcenter.domain.decisions import (
    Decision,
    ItemView,
    check_decision,
    operation_for,
)
from trustcenter.domain.enums import DecisionOutcome, InfoType
from trustcenter.domain.errors import DomainError, ErrorCode, Problem
from trustcenter.domain.lifecycle import Operation, RequestStatus
from trustcenter.plugins.host import PluginHost, builtin_host
from trustcenter.services import findings
from trustcenter.services.access import require_scope
from trustcenter.services.changes import apply, lock_request, post_message, require_text
from trustcenter.services.document_rules import refuse_approval_without_document
from trustcenter.services.plugin_views import view_of_request


@dataclass(frozen=True, slots=True)
class ItemDecision:
    item_id: uuid.UUID | None  # None: the id given did not name an item of this request
    decision: Decision


def _store(item: RequestedItem, decision: Decision, by: str, clock: Clock) -> None:
    item.outcome = decision.outcome.value
    item.reason_code = decision.reason_code.strip().lower() if decision.reason_code else None
    item.explanation = (decision.explanation or "").strip() or None
    item.approved_from = decision.approved_from
    item.approved_to = decision.approved_to
    item.approved_fields = " ".join(decision.fields) if decision.fields is not None else None
    item.decided_at = clock.now()
    item.decided_by = by


async def _items_with_premium(
    session: AsyncSession, request_id: uuid.UUID
) -> tuple[list[RequestedItem], dict[uuid.UUID, bool | None]]:
    items = list(
        (
            await session.scalars(
                select(RequestedItem)
                .where(RequestedItem.request_id == request_id)
                .order_by(RequestedItem.id)
                .with_for_update()
            )
        ).all()
    )
    targets = list(
        (await session.scalars(select(Target).where(Target.request_id == request_id))).all()
    )
    return items, await premium_by_target(session, targets)


async def _resolve_targets(session: AsyncSession, clock: Clock, request_id: uuid.UUID) -> int:
    """Look every target up once and record what it names (the transparency report counts
    these subjects, so a later deletion changes no figure); a target looked up before keeps
    its record. The number of targets looked up now."""
    targets = list(
        (
            await session.scalars(
                select(Target).where(Target.request_id == request_id, Target.resolved_at.is_(None))
            )
        ).all()
    )
    if not targets:
        return 0
    keys = await resolve_subjects(session, targets)
    now = clock.now()
    for target in targets:
        target.subject_key = keys.get(target.id)
        target.resolved_at = now
    return len(targets)


async def start_review(
    db: Database,
    clock: Clock,
    principal: Principal,
    request_id: uuid.UUID,
    version: int | None = None,
    plugins: PluginHost | None = None,
) -> Request:
    """RECEIVED -> IN_REVIEW. Every target is looked up once and what it names is recorded.
    What the lookup tells (an identifier naming nothing, D asked of an account without a
    premium service) becomes a finding for the reviewer, never an answer: only a person
    decides an item."""
    require_scope(principal, REVIEW)
    async with db.transaction() as session:
        row = await lock_request(session, principal, request_id, version, agency_only=False)
        looked_up = await _resolve_targets(session, clock, row.id)
        await apply(
            session,
            clock,
            principal,
            row,
            Operation.START_REVIEW,
            "review.started",
            {"targets_looked_up": looked_up},
        )
        await findings.recompute(session, clock, principal, row, plugins or builtin_host())
    return row


async def ask_clarification(
    db: Database,
    clock: Clock,
    principal: Principal,
    request_id: uuid.UUID,
    message: str,
    version: int | None = None,
) -> Request:
    """IN_REVIEW -> CLARIFICATION_REQUESTED, with the question in the request's thread."""
    require_scope(principal, REVIEW)
    body = require_text("message", message)
    async with db.transaction() as session:
        row = await lock_request(session, principal, request_id, version, agency_only=False)
        await apply(
            session, clock, principal, row, Operation.ASK_CLARIFICATION, "clarification.requested"
        )
        await post_message(session, clock, principal, row, body)
    return row


async def decide(
    db: Database,
    clock: Clock,
    principal: Principal,
    request_id: uuid.UUID,
    version: int,
    decisions: Sequence[ItemDecision],
    plugins: PluginHost | None = None,
) -> Request:
    """Record one decision per item; once every item is decided the request's status follows
    from them (any QUESTION asks the agency to clarify, with the explanations as the message)."""
    require_scope(principal, REVIEW)
    if not decisions:
        raise DomainError.single("decisions", "decide at least one item", ErrorCode.INVALID_INPUT)
    host = plugins or builtin_host()
    reasons = host.reason_vocabulary()
    async with db.transaction() as session:
        row = await lock_request(session, principal, request_id, version, agency_only=False)
        if RequestStatus(row.status) is not RequestStatus.IN_REVIEW:
            raise DomainError.single(
                "requestId",
                f"decisions are made while a request is IN_REVIEW; this one is "
                f"{RequestStatus(row.status).name}",
                ErrorCode.INVALID_TRANSITION,
            )
        items, premium = await _items_with_premium(session, row.id)
        by_id = {i.id: i for i in items}
        problems: list[Problem] = []
        seen: set[uuid.UUID] = set()
        for n, d in enumerate(decisions):
            path = f"decisions[{n}]"
            item = by_id.get(d.item_id) if d.item_id else None
            if item is None or d.item_id in seen:
                problems.append(
                    Problem(
                        f"{path}.itemId",
                        "not an item of this request, or named twice",
                        ErrorCode.NOT_FOUND,
                    )
                )
                continue
            seen.add(item.id)
            view = ItemView(
                InfoType(item.info_type),
                item.range_from,
                item.range_to,
                premium.get(item.target_id),
            )
            problems += check_decision(path, d.decision, view, reasons)
        if problems:
            raise DomainError(problems)
        await refuse_approval_without_document(
            session, host, row, [d.decision.outcome for d in decisions]
        )
        for d in decisions:
            _store(by_id[d.item_id], d.decision, principal.client_id or "", clock)  # type: ignore[index]
        outcomes = [DecisionOutcome(i.outcome) if i.outcome else None for i in items]
        operation = operation_for(outcomes)
        summary = {
            "decisions": [
                {
                    "item": str(d.item_id),
                    "outcome": d.decision.outcome.value,
                    "reason": by_id[d.item_id].reason_code,  # type: ignore[index]
                }
                for d in decisions
            ]
        }
        await apply(session, clock, principal, row, operation, "request.decided", summary)
        await findings.recompute(session, clock, principal, row, host)
        await host.after_decision(await view_of_request(session, row), row.status.upper())
        if operation is Operation.ASK_CLARIFICATION:
            questions = [
                i.explanation
                for i in items
                if i.outcome == DecisionOutcome.QUESTION.value and i.explanation
            ]
            await post_message(session, clock, principal, row, "\n\n".join(questions))
    return row


async def close(
    db: Database,
    clock: Clock,
    principal: Principal,
    request_id: uuid.UUID,
    version: int | None = None,
) -> Request:
    """DISCLOSED, OBJECTED or REJECTED -> CLOSED."""
    require_scope(principal, REVIEW)
    async with db.transaction() as session:
        row = await lock_request(session, principal, request_id, version, agency_only=False)
        await apply(session, clock, principal, row, Operation.CLOSE, "request.closed")
    return row


def decision_from(
    outcome: DecisionOutcome,
    reason_code: str | None,
    explanation: str | None,
    approved_from: date | None,
    approved_to: date | None,
    fields: Sequence[str] | None,
) -> Decision:
    return Decision(
        outcome,
        reason_code,
        explanation,
        approved_from,
        approved_to,
        tuple(fields) if fields is not None else None,
    )


async def extend_hold(
    db: Database,
    clock: Clock,
    principal: Principal,
    request_id: uuid.UUID,
    justification: str,
    plugins: PluginHost | None = None,
) -> Request:
    """Extend how long the named data is preserved, as the plugin that set the hold allows."""
    require_scope(principal, REVIEW)
    reason = require_text("justification", justification)
    async with db.transaction() as session:
        row = await lock_request(session, principal, request_id, None, agency_only=False)
        if row.hold_until is None:
            raise DomainError.single(
                "requestId",
                "this request holds no data to extend",
                ErrorCode.HOLD_EXTENSION_REFUSED,
            )
        answer = await (plugins or builtin_host()).extend_hold(
            await view_of_request(session, row), row.hold_until, row.hold_extensions
        )
        if answer is None or answer[1].until is None:
            why = answer[1].refused if answer else "no plugin extends this kind of hold"
            raise DomainError.single(
                "requestId",
                f"{answer[0] + ': ' if answer else ''}{why}",
                ErrorCode.HOLD_EXTENSION_REFUSED,
            )
        before = row.hold_until
        row.hold_until = answer[1].until
        row.hold_extensions += 1
        await apply(
            session,
            clock,
            principal,
            row,
            None,
            "hold.extended",
            {
                "from_until": before.isoformat(),
                "until": row.hold_until.isoformat(),
                "plugin": answer[0],
                "justification": reason,
            },
        )
    return row
