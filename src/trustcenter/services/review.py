"""What reviewers do: start a review, ask the agency to clarify, decide item by item, close.

Each use case is authorized first (``services.access``: the ``review`` scope), runs in one
transaction, checks the request's state through the lifecycle and, where the caller sends one,
its version."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from trustcenter.auth.principal import Principal
from trustcenter.clock import Clock
from trustcenter.db.models import Request, RequestedItem
from trustcenter.db.uow import UnitOfWork
from trustcenter.domain.deciding import check_decisions, questions, stored_reason
from trustcenter.domain.decisions import Decision, ItemView, ReasonVocabulary, operation_for
from trustcenter.domain.enums import DecisionOutcome, InfoType
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.lifecycle import Activity, Operation
from trustcenter.domain.webhooks import EventType
from trustcenter.plugins.host import PluginHost
from trustcenter.services import findings
from trustcenter.services.access import authorize
from trustcenter.services.changes import apply, lock_request, post_message, require_text
from trustcenter.services.deps import AppParts
from trustcenter.services.document_rules import refuse_approval_without_document
from trustcenter.services.plugin_views import view_of_request


@dataclass(frozen=True, slots=True)
class ItemDecision:
    item_id: uuid.UUID | None  # None: the id given did not name an item of this request
    decision: Decision


def _store(item: RequestedItem, decision: Decision, by: str, clock: Clock) -> None:
    item.outcome = decision.outcome.value
    item.reason_code = stored_reason(decision.reason_code)
    item.explanation = (decision.explanation or "").strip() or None
    item.approved_from = decision.approved_from
    item.approved_to = decision.approved_to
    item.approved_fields = " ".join(decision.fields) if decision.fields is not None else None
    item.decided_at = clock.now()
    item.decided_by = by


async def _items_with_premium(
    uow: UnitOfWork, request_id: uuid.UUID
) -> tuple[list[RequestedItem], dict[uuid.UUID, bool | None]]:
    items = await uow.review.lock_items(request_id)
    targets = await uow.review.targets_of(request_id)
    return items, await uow.userdata.premium_by_target(targets)


async def _resolve_targets(uow: UnitOfWork, clock: Clock, request_id: uuid.UUID) -> int:
    """Look every target up once and record what it names (the transparency report counts
    these subjects, so a later deletion changes no figure); a target looked up before keeps
    its record. The number of targets looked up now."""
    targets = await uow.review.unresolved_targets(request_id)
    if not targets:
        return 0
    keys = await uow.userdata.resolve_subjects(targets)
    now = clock.now()
    for target in targets:
        target.subject_key = keys.get(target.id)
        target.resolved_at = now
    return len(targets)


async def start_review(
    app: AppParts, principal: Principal, request_id: uuid.UUID, version: int | None = None
) -> Request:
    """RECEIVED -> IN_REVIEW. Every target is looked up once and what it names is recorded.
    What the lookup tells (an identifier naming nothing, D asked of an account without a
    premium service) becomes a finding for the reviewer, never an answer: only a person
    decides an item."""
    authorize(principal, "start_review")
    clock = app.clock
    async with app.uow() as uow:
        row = await lock_request(
            uow, principal, request_id, version, agency_only=False,
            operation=Operation.START_REVIEW,
        )  # fmt: skip
        looked_up = await _resolve_targets(uow, clock, row.id)
        await apply(
            uow,
            clock,
            principal,
            row,
            Operation.START_REVIEW,
            "review.started",
            {"targets_looked_up": looked_up},
        )
        await findings.recompute(uow, clock, principal, row, app.plugins)
    return row


async def ask_clarification(
    app: AppParts,
    principal: Principal,
    request_id: uuid.UUID,
    message: str,
    version: int | None = None,
) -> Request:
    """IN_REVIEW -> CLARIFICATION_REQUESTED, with the question in the request's thread."""
    authorize(principal, "ask_clarification")
    body = require_text("message", message)
    clock = app.clock
    async with app.uow() as uow:
        operation = Operation.ASK_CLARIFICATION
        row = await lock_request(
            uow, principal, request_id, version, agency_only=False, operation=operation
        )
        await apply(uow, clock, principal, row, operation, "clarification.requested")
        await post_message(uow, clock, principal, row, body)
    return row


async def decide(
    app: AppParts,
    principal: Principal,
    request_id: uuid.UUID,
    version: int,
    decisions: Sequence[ItemDecision],
) -> Request:
    """Record one decision per item; once every item is decided the request's status follows
    from them (any QUESTION asks the agency to clarify, with the explanations as the message)."""
    authorize(principal, "decide")
    if not decisions:
        raise DomainError.single("decisions", "decide at least one item", ErrorCode.INVALID_INPUT)
    clock, plugins = app.clock, app.plugins
    reasons = plugins.reason_vocabulary()
    async with app.uow() as uow:
        row = await lock_request(
            uow, principal, request_id, version, agency_only=False, operation=Activity.DECIDE
        )
        items = await _record_decisions(uow, clock, principal, plugins, row, decisions, reasons)
        operation = operation_for(
            [DecisionOutcome(i.outcome) if i.outcome else None for i in items]
        )
        by_id = {i.id: i for i in items}
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
        await apply(uow, clock, principal, row, operation, "request.decided", summary)
        await findings.recompute(uow, clock, principal, row, plugins)
        await plugins.after_decision(await view_of_request(uow, row), row.status.upper())
        if operation is Operation.ASK_CLARIFICATION:
            asked = questions((i.outcome, i.explanation) for i in items)
            await post_message(uow, clock, principal, row, asked)
    return row


async def _record_decisions(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    host: PluginHost,
    row: Request,
    decisions: Sequence[ItemDecision],
    reasons: ReasonVocabulary,
) -> list[RequestedItem]:
    """Check the decisions against the request's items and store them; every item of the
    request, locked, with its decision as it stands now."""
    items, premium = await _items_with_premium(uow, row.id)
    views = {
        i.id: ItemView(InfoType(i.info_type), i.range_from, i.range_to, premium.get(i.target_id))
        for i in items
    }
    problems = check_decisions([(d.item_id, d.decision) for d in decisions], views, reasons)
    if problems:
        raise DomainError(problems)
    await refuse_approval_without_document(uow, host, row, [d.decision.outcome for d in decisions])
    by_id = {i.id: i for i in items}
    for d in decisions:
        _store(by_id[d.item_id], d.decision, principal.client_id or "", clock)  # type: ignore[index]
    return items


async def close(
    app: AppParts, principal: Principal, request_id: uuid.UUID, version: int | None = None
) -> Request:
    """DISCLOSED, OBJECTED or REJECTED -> CLOSED."""
    authorize(principal, "close")
    async with app.uow() as uow:
        row = await lock_request(
            uow, principal, request_id, version, agency_only=False, operation=Operation.CLOSE
        )
        await apply(uow, app.clock, principal, row, Operation.CLOSE, "request.closed")
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
    app: AppParts, principal: Principal, request_id: uuid.UUID, justification: str
) -> Request:
    """Extend how long the named data is preserved, as the plugin that set the hold allows."""
    authorize(principal, "extend_hold")
    reason = require_text("justification", justification)
    async with app.uow() as uow:
        row = await lock_request(uow, principal, request_id, None, agency_only=False)
        if row.hold_until is None:
            raise DomainError.single(
                "requestId",
                "this request holds no data to extend",
                ErrorCode.HOLD_EXTENSION_REFUSED,
            )
        answer = await app.plugins.extend_hold(
            await view_of_request(uow, row), row.hold_until, row.hold_extensions
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
            uow,
            app.clock,
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
            EventType.DEADLINE_EXTENDED,
        )
    return row
