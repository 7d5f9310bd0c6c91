"""Mutation root. Each mutation takes one input and returns a payload with userErrors."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from trustcenter.domain.errors import DomainError
from trustcenter.graphql.agencies import AgencyMutation
from trustcenter.graphql.classification import ClassificationMutation
from trustcenter.graphql.clients import ClientMutation
from trustcenter.graphql.errors import UserError, user_errors
from trustcenter.graphql.inputs import SubmitRequestInput, to_draft
from trustcenter.graphql.mutations_review import ReviewMutation
from trustcenter.graphql.nodes import ctx
from trustcenter.graphql.notice_exceptions import NoticeExceptionMutation
from trustcenter.graphql.plugins import PluginMutation
from trustcenter.graphql.reports import ReportMutation
from trustcenter.graphql.types_request import RequestType
from trustcenter.graphql.vendors import VendorMutation
from trustcenter.services.requests import submit_request


@strawberry.type
class SubmitRequestPayload:
    request: RequestType | None = None
    replayed: bool = strawberry.field(
        default=False, description="True when an earlier call with the same key created it."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Mutation(
    ReviewMutation,
    VendorMutation,
    PluginMutation,
    NoticeExceptionMutation,
    ReportMutation,
    AgencyMutation,
    ClassificationMutation,
    ClientMutation,
):
    @strawberry.mutation(description="Send a request for user data (scope requests:submit).")
    async def submit_request(
        self, info: Info, input: SubmitRequestInput
    ) -> SubmitRequestPayload | None:
        c = ctx(info)
        try:
            done = await submit_request(
                c.app.db, c.app.clock, c.principal, to_draft(input), plugins=c.app.plugins
            )
        except DomainError as error:
            return SubmitRequestPayload(user_errors=user_errors(error))
        c.loaders.request.prime(done.request.id, done.request)
        return SubmitRequestPayload(request=RequestType(row=done.request), replayed=done.replayed)
