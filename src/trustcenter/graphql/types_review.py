"""What reviewers keep beside a request: release approvals (four eyes), the assignee whose
queue it is in, and internal notes. Staff read them; agencies never do."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError

from trustcenter.graphql.nodes import MISSING, parse_id
from trustcenter.services.view_records import ApprovalView, AssigneeView, InternalNoteView

#: the type name a staff member's global id carries
STAFF_MEMBER = "StaffMember"


def staff_uuid(raw: str | None) -> uuid.UUID | None:
    """The UUID a staff member's id carries (a ``StaffMember`` global id, or a plain one, as
    ``graphql.staff`` reads them); None for no id, and an id of anything else names nobody
    (``nodes.MISSING``)."""
    if raw is None:
        return None
    try:
        gid: relay.GlobalID | str = relay.GlobalID.from_id(str(raw))
    except (GlobalIDValueError, ValueError):
        gid = str(raw)
    return parse_id(gid, STAFF_MEMBER) or MISSING


@strawberry.type(name="Assignee", description="The staff member whose queue a request is in.")
class AssigneeType:
    view: strawberry.Private[AssigneeView]

    @strawberry.field(description="The staff member's global id (type StaffMember).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(relay.GlobalID(STAFF_MEMBER, str(self.view.id))))

    @strawberry.field
    def name(self) -> str:
        return self.view.name


@strawberry.type(
    name="ReleaseApproval",
    description="One person's agreement to a release (four eyes): the first asked for it, the "
    "second approved it.",
)
class ReleaseApprovalType:
    view: strawberry.Private[ApprovalView]

    @strawberry.field(description="Who agreed: a person's name, or a client's id.")
    def approved_by(self) -> str:
        return self.view.actor_name

    @strawberry.field
    def approved_at(self) -> datetime:
        return self.view.approved_at

    @strawberry.field(
        description="The request's version it was given at; a later change to the request voids it."
    )
    def version(self) -> int:
        return self.view.version


@strawberry.type(
    name="InternalNote",
    description="A staff-only note on a request; never shown to the agency.",
)
class InternalNoteType:
    view: strawberry.Private[InternalNoteView]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.view.id))

    @strawberry.field(description="The author's name (a client's id for a machine client).")
    def author(self) -> str:
        return self.view.author_name

    @strawberry.field
    def body(self) -> str:
        return self.view.body

    @strawberry.field
    def created_at(self) -> datetime:
        return self.view.created_at
