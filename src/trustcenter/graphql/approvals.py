"""Four eyes over GraphQL: what a release answers, and the second person's approval."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from strawberry import relay
from strawberry.types import Info

from trustcenter.graphql.access_text import described
from trustcenter.graphql.errors import UserError
from trustcenter.graphql.nodes import MISSING, ctx, parse_id
from trustcenter.graphql.payloads import payload
from trustcenter.graphql.types_request import RequestType
from trustcenter.graphql.types_review import ReleaseApprovalType
from trustcenter.services import disclosure
from trustcenter.services.disclosure import ReleaseOutcome
from trustcenter.services.views import request_view


@strawberry.type(
    description="The request after the release — or, where two people must agree, after "
    "asking for the second approval — or why nothing changed."
)
class ReleasePayload:
    request: RequestType | None = None
    approval_needed: bool = strawberry.field(
        default=False,
        description="True: your approval is recorded and the request is not released yet; a "
        "second person, who decided none of its items, approves it (approveRelease).",
    )
    approvals: list[ReleaseApprovalType] = strawberry.field(
        default_factory=list,
        description="The approvals the release waits on or went out on (four eyes); empty "
        "when one person released it alone.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def release_payload(
    info: Info, work: Callable[[], Awaitable[ReleaseOutcome]]
) -> ReleasePayload:
    """The outcome of a release or an approval, its request primed for the rest of the query,
    or the service's userErrors."""

    def done(outcome: ReleaseOutcome) -> ReleasePayload:
        view = request_view(outcome.request)
        ctx(info).loaders.request.prime(view.id, view)
        return ReleasePayload(
            request=RequestType(view=view),
            approval_needed=outcome.approval_needed,
            approvals=[ReleaseApprovalType(view=a) for a in outcome.approvals],
        )

    return await payload(ReleasePayload, work, done)


@strawberry.input
class ApproveReleaseInput:
    request_id: relay.GlobalID
    version: int | None = strawberry.field(
        default=None, description="The version you read; refused if it changed."
    )


@strawberry.type
class ApprovalMutation:
    @strawberry.mutation(
        description=described(
            "approve_release",
            "Four eyes: approve the release another reviewer asked for, and release it. "
            "Refused to whoever asked for it or decided any of its items, and when the request "
            "changed since the release was asked for.",
        )
    )
    async def approve_release(
        self, info: Info, input: ApproveReleaseInput
    ) -> ReleasePayload | None:
        c = ctx(info)
        request_id = parse_id(input.request_id, "Request") or MISSING
        return await release_payload(
            info,
            lambda: disclosure.approve_release(c.app, c.principal, request_id, input.version),
        )
