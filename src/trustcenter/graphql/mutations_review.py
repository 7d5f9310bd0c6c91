"""Mutations that move a request through its lifecycle (SPEC section 3)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

import strawberry
from strawberry import relay
from strawberry.types import Info

from trustcenter.domain import enums as d
from trustcenter.graphql.access_text import described
from trustcenter.graphql.approvals import ReleasePayload, release_payload
from trustcenter.graphql.enums import DecisionOutcome, ReasonCode
from trustcenter.graphql.errors import UserError
from trustcenter.graphql.inputs import SubmitRequestInput, document_uuids, to_draft
from trustcenter.graphql.nodes import MISSING, ctx, parse_id
from trustcenter.graphql.payloads import payload
from trustcenter.graphql.plugins import FindingType
from trustcenter.graphql.types_request import RequestType
from trustcenter.services import agency_actions, disclosure, reads, review
from trustcenter.services.requests import revise
from trustcenter.services.views import request_view


def named_request(gid: relay.GlobalID) -> uuid.UUID:
    """The request a mutation names; an id of another type or no UUID names none."""
    return parse_id(gid, "Request") or MISSING


@strawberry.type(description="The request after the change, or why nothing changed.")
class RequestPayload:
    request: RequestType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="The request after the decisions, or why nothing changed.")
class DecideRequestPayload:
    request: RequestType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @strawberry.field(
        description="Staff: the request's findings as they stand after these decisions "
        "(recomputed on the items still in play; a block no longer applying shows resolvedAt)."
    )
    async def findings(self, info: Info) -> list[FindingType] | None:
        if self.request is None:
            return None
        c, request_id = ctx(info), self.request.view.id
        now = await reads.findings_of(c.app, c.principal, [request_id])
        return [FindingType(view=f) for f in now[request_id]]


P = TypeVar("P", RequestPayload, DecideRequestPayload)


async def _changed(info: Info, work: Callable[[], Awaitable[Any]], answer: type[P]) -> P:
    def done(row: Any) -> P:
        view = request_view(row)
        ctx(info).loaders.request.prime(view.id, view)
        return answer(request=RequestType(view=view))

    return await payload(answer, work, done)


async def request_payload(info: Info, work: Callable[[], Awaitable[Any]]) -> RequestPayload:
    """The request a lifecycle service changed (the row it returns), primed for the rest of
    the query, or the service's userErrors."""
    return await _changed(info, work, RequestPayload)


@strawberry.input
class StartReviewInput:
    request_id: relay.GlobalID
    version: int | None = strawberry.field(default=None, description="Refuse if it changed.")


@strawberry.input
class AskClarificationInput:
    request_id: relay.GlobalID
    message: str = strawberry.field(description="The question; the agency reads it.")
    version: int | None = None


@strawberry.input
class AnswerClarificationInput:
    request_id: relay.GlobalID
    message: str
    document_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Documents this agency uploaded (POST /documents) to attach to the answer, "
        "such as the court order the reviewer asked for.",
    )


@strawberry.input
class DecisionInput:
    item_id: relay.GlobalID
    outcome: DecisionOutcome  # type: ignore[valid-type]
    reason_code: ReasonCode | None = strawberry.field(
        default=None,
        description="Required unless approving; a registered code (the `reasonCodes` query).",
    )
    explanation: str | None = strawberry.field(
        default=None, description="Required unless approving; the agency reads it."
    )
    approved_from: date | None = strawberry.field(
        default=None, name="from", description="NARROW: the shorter range's start."
    )
    approved_to: date | None = strawberry.field(
        default=None, name="to", description="NARROW: the shorter range's end."
    )
    fields: list[str] | None = strawberry.field(
        default=None, description="NARROW: only these fields of the information type."
    )


@strawberry.input
class DecideRequestInput:
    request_id: relay.GlobalID
    version: int = strawberry.field(description="The version you decided on; stale is refused.")
    decisions: list[DecisionInput]


@strawberry.input
class ReviseRequestInput:
    request_id: relay.GlobalID = strawberry.field(description="The request being replaced.")
    revision: SubmitRequestInput


@strawberry.input
class WithdrawRequestInput:
    request_id: relay.GlobalID
    reason: str | None = None


@strawberry.input
class ExtendHoldInput:
    request_id: relay.GlobalID
    justification: str = strawberry.field(description="Why the data must be kept longer.")


@strawberry.input
class ReleaseDisclosureInput:
    request_id: relay.GlobalID


@strawberry.input
class CloseRequestInput:
    request_id: relay.GlobalID
    version: int | None = None


@strawberry.type
class ReviewMutation:
    @strawberry.mutation(
        description=described("start_review", "Begin reviewing a received request.")
    )
    async def start_review(self, info: Info, input: StartReviewInput) -> RequestPayload | None:
        c = ctx(info)
        return await request_payload(
            info,
            lambda: review.start_review(
                c.app, c.principal, named_request(input.request_id), input.version
            ),
        )

    @strawberry.mutation(description=described("ask_clarification", "Ask the agency a question."))
    async def ask_clarification(
        self, info: Info, input: AskClarificationInput
    ) -> RequestPayload | None:
        c = ctx(info)
        return await request_payload(
            info,
            lambda: review.ask_clarification(
                c.app, c.principal, named_request(input.request_id), input.message, input.version
            ),
        )

    @strawberry.mutation(
        description=described("answer_clarification", "Answer the reviewer's question.")
    )
    async def answer_clarification(
        self, info: Info, input: AnswerClarificationInput
    ) -> RequestPayload | None:
        c = ctx(info)
        return await request_payload(
            info,
            lambda: agency_actions.answer_clarification(
                c.app,
                c.principal,
                named_request(input.request_id),
                input.message,
                document_ids=document_uuids(input.document_ids),
            ),
        )

    @strawberry.mutation(
        description=described(
            "decide", "Decide requested items: APPROVE, NARROW, QUESTION, OBJECT or REJECT."
        )
    )
    async def decide_request(
        self, info: Info, input: DecideRequestInput
    ) -> DecideRequestPayload | None:
        c = ctx(info)
        decisions = [
            review.ItemDecision(
                parse_id(x.item_id, "RequestedItem"),
                review.decision_from(
                    d.DecisionOutcome(x.outcome),
                    x.reason_code,
                    x.explanation,
                    x.approved_from,
                    x.approved_to,
                    x.fields,
                ),
            )
            for x in input.decisions
        ]
        return await _changed(
            info,
            lambda: review.decide(
                c.app, c.principal, named_request(input.request_id), input.version, decisions
            ),
            DecideRequestPayload,
        )

    @strawberry.mutation(
        description=described(
            "revise_request",
            "Replace a request by a revised one; the old one becomes SUPERSEDED.",
        )
    )
    async def revise_request(self, info: Info, input: ReviseRequestInput) -> RequestPayload | None:
        c = ctx(info)

        async def work() -> Any:
            done = await revise(
                c.app, c.principal, named_request(input.request_id), to_draft(input.revision)
            )
            return done.request

        return await request_payload(info, work)

    @strawberry.mutation(
        description=described("withdraw_request", "Withdraw a request before disclosure.")
    )
    async def withdraw_request(
        self, info: Info, input: WithdrawRequestInput
    ) -> RequestPayload | None:
        c = ctx(info)
        return await request_payload(
            info,
            lambda: agency_actions.withdraw(
                c.app, c.principal, named_request(input.request_id), input.reason
            ),
        )

    @strawberry.mutation(
        description=described(
            "extend_hold",
            "Keep the named data longer, as far as the plugin that set the hold allows.",
        )
    )
    async def extend_hold(self, info: Info, input: ExtendHoldInput) -> RequestPayload | None:
        c = ctx(info)
        return await request_payload(
            info,
            lambda: review.extend_hold(
                c.app, c.principal, named_request(input.request_id), input.justification
            ),
        )

    @strawberry.mutation(
        description=described(
            "release",
            "Assemble exactly the approved scope into the sealed package and release it to the "
            "agency. Where two people must agree (four eyes), the first call records your "
            "approval and asks for a second person's (approvalNeeded).",
        )
    )
    async def release_disclosure(
        self, info: Info, input: ReleaseDisclosureInput
    ) -> ReleasePayload | None:
        c = ctx(info)
        return await release_payload(
            info,
            lambda: disclosure.release_or_ask(c.app, c.principal, named_request(input.request_id)),
        )

    @strawberry.mutation(
        description=described("close", "Close a disclosed, objected or rejected request.")
    )
    async def close_request(self, info: Info, input: CloseRequestInput) -> RequestPayload | None:
        c = ctx(info)
        return await request_payload(
            info,
            lambda: review.close(
                c.app, c.principal, named_request(input.request_id), input.version
            ),
        )
