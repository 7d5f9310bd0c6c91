"""Mutations that move a request through its lifecycle (SPEC section 3)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date

import strawberry
from strawberry import relay
from strawberry.types import Info

from trustcenter.db.models import Request as RequestRow
from trustcenter.domain import enums as d
from trustcenter.domain.errors import DomainError
from trustcenter.graphql.enums import DecisionOutcome, ReasonCode
from trustcenter.graphql.errors import UserError, user_errors
from trustcenter.graphql.inputs import SubmitRequestInput, document_uuids, to_draft
from trustcenter.graphql.nodes import ctx
from trustcenter.graphql.plugins import FindingType
from trustcenter.graphql.types_request import RequestType
from trustcenter.services import agency_actions, disclosure, findings, review
from trustcenter.services.requests import submit_request


def node_uuid(gid: relay.GlobalID, type_name: str) -> uuid.UUID | None:
    if gid.type_name != type_name:
        return None
    try:
        return uuid.UUID(gid.node_id)
    except ValueError:
        return None


_MISSING = uuid.UUID(int=0)  # an id no row has: "no such request", like any unseen id


def request_uuid(gid: relay.GlobalID) -> uuid.UUID:
    return node_uuid(gid, "Request") or _MISSING


@strawberry.type(description="The request after the change, or why nothing changed.")
class RequestPayload:
    request: RequestType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def _run(info: Info, work: Callable[[], Awaitable[RequestRow]]) -> RequestPayload:
    try:
        row = await work()
    except DomainError as error:
        return RequestPayload(user_errors=user_errors(error))
    ctx(info).loaders.request.prime(row.id, row)
    return RequestPayload(request=RequestType(row=row))


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
        c, request_id = ctx(info), self.request.row.id
        now = await findings.findings_of(c.app.db, c.principal, [request_id])
        return [FindingType(row=f) for f in now[request_id]]


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
    @strawberry.mutation(description="Begin reviewing a received request (scope review).")
    async def start_review(self, info: Info, input: StartReviewInput) -> RequestPayload | None:
        c = ctx(info)
        return await _run(
            info,
            lambda: review.start_review(
                c.app.db,
                c.app.clock,
                c.principal,
                request_uuid(input.request_id),
                input.version,
                c.app.plugins,
            ),
        )

    @strawberry.mutation(description="Ask the agency a question (scope review).")
    async def ask_clarification(
        self, info: Info, input: AskClarificationInput
    ) -> RequestPayload | None:
        c = ctx(info)
        return await _run(
            info,
            lambda: review.ask_clarification(
                c.app.db,
                c.app.clock,
                c.principal,
                request_uuid(input.request_id),
                input.message,
                input.version,
            ),
        )

    @strawberry.mutation(description="Answer the reviewer's question (scope requests:submit).")
    async def answer_clarification(
        self, info: Info, input: AnswerClarificationInput
    ) -> RequestPayload | None:
        c = ctx(info)
        return await _run(
            info,
            lambda: agency_actions.answer_clarification(
                c.app.db,
                c.app.clock,
                c.principal,
                request_uuid(input.request_id),
                input.message,
                plugins=c.app.plugins,
                document_ids=document_uuids(input.document_ids),
            ),
        )

    @strawberry.mutation(
        description="Decide requested items: APPROVE, NARROW, QUESTION, OBJECT "
        "or REJECT (scope review)."
    )
    async def decide_request(
        self, info: Info, input: DecideRequestInput
    ) -> DecideRequestPayload | None:
        c = ctx(info)
        decisions = [
            review.ItemDecision(
                node_uuid(x.item_id, "RequestedItem"),
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
        payload = await _run(
            info,
            lambda: review.decide(
                c.app.db,
                c.app.clock,
                c.principal,
                request_uuid(input.request_id),
                input.version,
                decisions,
                c.app.plugins,
            ),
        )
        return DecideRequestPayload(request=payload.request, user_errors=payload.user_errors)

    @strawberry.mutation(
        description="Replace a request by a revised one; the old one becomes "
        "SUPERSEDED (scope requests:submit)."
    )
    async def revise_request(self, info: Info, input: ReviseRequestInput) -> RequestPayload | None:
        c = ctx(info)

        async def work() -> RequestRow:
            done = await submit_request(
                c.app.db,
                c.app.clock,
                c.principal,
                to_draft(input.revision),
                revises=request_uuid(input.request_id),
                plugins=c.app.plugins,
            )
            return done.request

        return await _run(info, work)

    @strawberry.mutation(
        description="Withdraw a request before disclosure (scope requests:submit)."
    )
    async def withdraw_request(
        self, info: Info, input: WithdrawRequestInput
    ) -> RequestPayload | None:
        c = ctx(info)
        return await _run(
            info,
            lambda: agency_actions.withdraw(
                c.app.db, c.app.clock, c.principal, request_uuid(input.request_id), input.reason
            ),
        )

    @strawberry.mutation(
        description="Keep the named data longer, as far as the plugin that set the hold "
        "allows (scope review)."
    )
    async def extend_hold(self, info: Info, input: ExtendHoldInput) -> RequestPayload | None:
        c = ctx(info)
        return await _run(
            info,
            lambda: review.extend_hold(
                c.app.db,
                c.app.clock,
                c.principal,
                request_uuid(input.request_id),
                input.justification,
                c.app.plugins,
            ),
        )

    @strawberry.mutation(
        description="Assemble exactly the approved scope into the sealed package and release "
        "it to the agency (scope review)."
    )
    async def release_disclosure(
        self, info: Info, input: ReleaseDisclosureInput
    ) -> RequestPayload | None:
        c = ctx(info)
        return await _run(
            info,
            lambda: disclosure.release(
                c.app.db,
                c.app.clock,
                c.principal,
                c.app.disclosure_keys,
                c.app.data_source,
                request_uuid(input.request_id),
                c.app.plugins,
            ),
        )

    @strawberry.mutation(
        description="Close a disclosed, objected or rejected request (scope review)."
    )
    async def close_request(self, info: Info, input: CloseRequestInput) -> RequestPayload | None:
        c = ctx(info)
        return await _run(
            info,
            lambda: review.close(
                c.app.db, c.app.clock, c.principal, request_uuid(input.request_id), input.version
            ),
        )
