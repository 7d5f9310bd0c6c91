"""Mutation root. Each mutation takes one input and returns a payload with userErrors."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from trustcenter.graphql.access_text import described
from trustcenter.graphql.agencies import AgencyMutation
from trustcenter.graphql.approvals import ApprovalMutation
from trustcenter.graphql.classification import ClassificationMutation
from trustcenter.graphql.clients import ClientMutation
from trustcenter.graphql.errors import UserError
from trustcenter.graphql.inputs import SubmitRequestInput, to_draft
from trustcenter.graphql.mutations_review import ReviewMutation
from trustcenter.graphql.nodes import ctx
from trustcenter.graphql.notes import NoteMutation
from trustcenter.graphql.notice_exceptions import NoticeExceptionMutation
from trustcenter.graphql.payloads import payload
from trustcenter.graphql.plugins import PluginMutation
from trustcenter.graphql.reports import ReportMutation
from trustcenter.graphql.staff import StaffMutation
from trustcenter.graphql.types_request import RequestType
from trustcenter.graphql.vendors import VendorMutation
from trustcenter.graphql.webhooks import WebhookMutation
from trustcenter.services.requests import Submitted, submit_request
from trustcenter.services.views import request_view


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
    StaffMutation,
    ApprovalMutation,
    NoteMutation,
    WebhookMutation,
):
    @strawberry.mutation(description=described("submit_request", "Send a request for user data."))
    async def submit_request(
        self, info: Info, input: SubmitRequestInput
    ) -> SubmitRequestPayload | None:
        c = ctx(info)

        def submitted(done: Submitted) -> SubmitRequestPayload:
            view = request_view(done.request)
            c.loaders.request.prime(view.id, view)
            if done.parts is not None:  # just written: the answer shows them without a read
                c.loaders.targets.prime(view.id, done.parts[0])
                c.loaders.items.prime(view.id, done.parts[1])
            return SubmitRequestPayload(request=RequestType(view=view), replayed=done.replayed)

        return await payload(
            SubmitRequestPayload,
            lambda: submit_request(c.app, c.principal, to_draft(input)),
            submitted,
        )
