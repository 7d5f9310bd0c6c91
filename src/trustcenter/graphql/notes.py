"""The reviewers' queue and their internal notes over GraphQL."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.types import Info

from trustcenter.graphql.access_text import described
from trustcenter.graphql.errors import UserError
from trustcenter.graphql.mutations_review import RequestPayload, named_request, request_payload
from trustcenter.graphql.nodes import ctx
from trustcenter.graphql.payloads import payload
from trustcenter.graphql.types_request import RequestType
from trustcenter.graphql.types_review import InternalNoteType, staff_uuid
from trustcenter.services import notes
from trustcenter.services.views import request_view


@strawberry.input
class AssignRequestInput:
    request_id: relay.GlobalID
    staff_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The reviewer to assign it to (a StaffMember id: an active staff member "
        "with the reviewer role); null takes it out of anyone's queue.",
    )


@strawberry.input
class AddInternalNoteInput:
    request_id: relay.GlobalID
    body: str = strawberry.field(
        description="1 to 10,000 characters; staff read it, the agency never does."
    )


@strawberry.type(description="The note written, or why nothing was.")
class AddInternalNotePayload:
    note: InternalNoteType | None = None
    request: RequestType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class NoteMutation:
    @strawberry.mutation(
        description=described(
            "assign_request",
            "Put a request in a reviewer's queue, or (staffId null) in nobody's.",
        )
    )
    async def assign_request(self, info: Info, input: AssignRequestInput) -> RequestPayload | None:
        c = ctx(info)
        return await request_payload(
            info,
            lambda: notes.assign(
                c.app, c.principal, named_request(input.request_id), staff_uuid(input.staff_id)
            ),
        )

    @strawberry.mutation(
        description=described(
            "add_internal_note", "Write a staff-only note on a request; the agency never reads it."
        )
    )
    async def add_internal_note(
        self, info: Info, input: AddInternalNoteInput
    ) -> AddInternalNotePayload | None:
        c = ctx(info)

        def done(added: notes.NoteAdded) -> AddInternalNotePayload:
            view = request_view(added.request)
            c.loaders.request.prime(view.id, view)
            return AddInternalNotePayload(
                note=InternalNoteType(view=added.note), request=RequestType(view=view)
            )

        return await payload(
            AddInternalNotePayload,
            lambda: notes.add_note(c.app, c.principal, named_request(input.request_id), input.body),
            done,
        )
