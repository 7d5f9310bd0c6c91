"""What an agency does to its own requests after submitting: answer questions, withdraw.

(Revising is in services.requests: a revision is a new submission.) An agency only ever finds
its own requests; any other id is 'no such request'."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from trustcenter.auth.principal import Principal
from trustcenter.db.models import Request
from trustcenter.domain.enums import DecisionOutcome
from trustcenter.domain.lifecycle import Operation
from trustcenter.services import findings
from trustcenter.services.access import authorize
from trustcenter.services.changes import apply, lock_request, post_message, require_text
from trustcenter.services.deps import AppParts
from trustcenter.services.document_rules import attach as attach_documents


async def answer_clarification(
    app: AppParts,
    principal: Principal,
    request_id: uuid.UUID,
    message: str,
    document_ids: Sequence[uuid.UUID] = (),
) -> Request:
    """CLARIFICATION_REQUESTED -> IN_REVIEW with the agency's answer in the thread; the items
    that were questioned go back to undecided for the reviewer, and the findings are
    recomputed on the items now in play. ``document_ids``: the agency's uploads attached to
    the answer (a court order asked for), without revising the request."""
    authorize(principal, "answer_clarification")
    body = require_text("message", message)
    clock = app.clock
    async with app.uow() as uow:
        row = await lock_request(uow, principal, request_id, None, agency_only=True)
        await apply(
            uow, clock, principal, row, Operation.ANSWER_CLARIFICATION, "clarification.answered"
        )
        answer = await post_message(uow, clock, principal, row, body)
        await attach_documents(
            uow,
            clock,
            principal,
            list(document_ids),
            "documentIds",
            request_id=row.id,
            message_id=answer.id,
        )
        await uow.review.clear_decisions(row.id, DecisionOutcome.QUESTION.value)
        await findings.recompute(uow, clock, principal, row, app.plugins)
    return row


async def withdraw(
    app: AppParts, principal: Principal, request_id: uuid.UUID, reason: str | None = None
) -> Request:
    """Any state before DISCLOSED -> WITHDRAWN."""
    authorize(principal, "withdraw_request")
    clock = app.clock
    async with app.uow() as uow:
        row = await lock_request(uow, principal, request_id, None, agency_only=True)
        await apply(
            uow,
            clock,
            principal,
            row,
            Operation.WITHDRAW,
            "request.withdrawn",
            {"reason": (reason or "").strip()[:500] or None},
        )
        if reason and reason.strip():
            await post_message(uow, clock, principal, row, f"Withdrawn: {reason.strip()}")
    return row
