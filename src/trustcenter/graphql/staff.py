"""Staff members over GraphQL, the admin side: list the people on the staff, add one (the
initial password shown once), change their name or roles, disable or enable them, and reset
their sign-in."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError
from strawberry.types import Info

from trustcenter.domain.staff import Role, StaffStatus
from trustcenter.graphql.access_text import described
from trustcenter.graphql.errors import UserError
from trustcenter.graphql.nodes import MISSING, ctx, parse_id
from trustcenter.graphql.payloads import payload
from trustcenter.services.staff import (
    NewSignIn,
    create_staff,
    disable_staff,
    enable_staff,
    list_staff,
    reset_staff_sign_in,
    staff_by_ids,
    update_staff,
)
from trustcenter.services.staff_views import StaffView

# strawberry marks the domain enums and returns them unchanged (as ``graphql.enums`` does)
strawberry.enum(
    Role,
    name="StaffRole",
    description="What a staff member does; each role grants one staff scope (reviewer: review, "
    "notices: notices, reports: reports, auditor: audit, admin: admin).",
)
strawberry.enum(StaffStatus, name="StaffStatus", description="Whether a staff member may sign in.")
StaffRole = Role


@strawberry.type(name="StaffMember", description="A person on the staff (admins, and oneself).")
class StaffMemberType(relay.Node):
    view: strawberry.Private[StaffView]

    @classmethod
    def resolve_id(cls, root: StaffMemberType, *, info: Info) -> str:
        return str(root.view.id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        c = ctx(info)
        ids = [parse_id(i) for i in node_ids]
        found = await staff_by_ids(c.app, c.principal, [i for i in ids if i is not None])
        out = [cls(view=found[i]) if i in found else None for i in ids]
        if required and any(o is None for o in out):
            raise ValueError("no such object")
        return out

    @strawberry.field
    def name(self) -> str:
        return self.view.name

    @strawberry.field(description="The sign-in name, lower-case.")
    def email(self) -> str:
        return self.view.email

    @strawberry.field
    def roles(self) -> list[StaffRole]:
        return list(self.view.roles)

    @strawberry.field
    def status(self) -> StaffStatus:
        return self.view.status

    @strawberry.field
    def created_at(self) -> datetime:
        return self.view.created_at

    @strawberry.field(description="When the member was disabled; null while active.")
    def disabled_at(self) -> datetime | None:
        return self.view.disabled_at

    @strawberry.field(description="When the member last signed in; null if never.")
    def last_sign_in_at(self) -> datetime | None:
        return self.view.last_sign_in_at

    @strawberry.field(description="False: the second factor is enrolled at the next sign-in.")
    def totp_enrolled(self) -> bool:
        return self.view.totp_enrolled

    @strawberry.field(description="Locked after too many failed sign-ins, for now.")
    def locked(self) -> bool:
        return self.view.locked


def staff_member(view: StaffView | None) -> StaffMemberType | None:
    return StaffMemberType(view=view) if view is not None else None


def _member_id(raw: strawberry.ID) -> uuid.UUID:
    """The member an id names: a StaffMember global id (or a plain id); an id naming nothing
    reads as no such member."""
    try:
        gid: relay.GlobalID | str = relay.GlobalID.from_id(str(raw))
    except (GlobalIDValueError, ValueError):
        gid = str(raw)
    return parse_id(gid, "StaffMember") or MISSING


@strawberry.input
class CreateStaffMemberInput:
    email: str = strawberry.field(description="The sign-in name; compared case-insensitively.")
    name: str
    roles: list[StaffRole] = strawberry.field(description="At least one.")


@strawberry.input
class UpdateStaffMemberInput:
    staff_member_id: strawberry.ID
    name: str | None = strawberry.field(default=None, description="Leave out to keep it.")
    roles: list[StaffRole] | None = strawberry.field(
        default=None, description="Replaces the roles (at least one); leave out to keep them."
    )


@strawberry.input
class StaffMemberIdInput:
    staff_member_id: strawberry.ID


@strawberry.type
class StaffMemberPayload:
    staff_member: StaffMemberType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class StaffSignInPayload:
    staff_member: StaffMemberType | None = None
    initial_password: str | None = strawberry.field(
        default=None,
        description="The password to sign in with first; shown only in this answer. The second "
        "factor is enrolled at that sign-in.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _signed(done: NewSignIn) -> StaffSignInPayload:
    return StaffSignInPayload(
        staff_member=StaffMemberType(view=done.member), initial_password=done.initial_password
    )


def _member_payload(view: StaffView) -> StaffMemberPayload:
    return StaffMemberPayload(staff_member=StaffMemberType(view=view))


@strawberry.type
class StaffQuery:
    @strawberry.field(
        description=described(
            "list_staff", "The people on the staff, active and disabled (or of one status)."
        )
    )
    async def staff_members(
        self, info: Info, status: StaffStatus | None = None
    ) -> list[StaffMemberType]:
        c = ctx(info)
        views = await list_staff(c.app, c.principal, status=status)
        return [StaffMemberType(view=v) for v in views]


@strawberry.type
class StaffMutation:
    @strawberry.mutation(
        description=described(
            "create_staff",
            "Add a person to the staff, active, with an initial password returned once; the "
            "second factor is enrolled at their first sign-in.",
        )
    )
    async def create_staff_member(
        self, info: Info, input: CreateStaffMemberInput
    ) -> StaffSignInPayload | None:
        c = ctx(info)
        return await payload(
            StaffSignInPayload,
            lambda: create_staff(
                c.app, c.principal, email=input.email, name=input.name, roles=input.roles
            ),
            _signed,
        )

    @strawberry.mutation(
        description=described(
            "update_staff",
            "Change a staff member's name or roles; the last active admin keeps the admin role.",
        )
    )
    async def update_staff_member(
        self, info: Info, input: UpdateStaffMemberInput
    ) -> StaffMemberPayload | None:
        c = ctx(info)
        return await payload(
            StaffMemberPayload,
            lambda: update_staff(
                c.app,
                c.principal,
                _member_id(input.staff_member_id),
                name=input.name,
                roles=input.roles,
            ),
            _member_payload,
        )

    @strawberry.mutation(
        description=described(
            "disable_staff",
            "Disable a staff member: they can no longer sign in, and their sessions end at "
            "once. Not yourself, and not the last active admin.",
        )
    )
    async def disable_staff_member(
        self, info: Info, input: StaffMemberIdInput
    ) -> StaffMemberPayload | None:
        c = ctx(info)
        return await payload(
            StaffMemberPayload,
            lambda: disable_staff(c.app, c.principal, _member_id(input.staff_member_id)),
            _member_payload,
        )

    @strawberry.mutation(
        description=described("enable_staff", "Let a disabled staff member sign in again.")
    )
    async def enable_staff_member(
        self, info: Info, input: StaffMemberIdInput
    ) -> StaffMemberPayload | None:
        c = ctx(info)
        return await payload(
            StaffMemberPayload,
            lambda: enable_staff(c.app, c.principal, _member_id(input.staff_member_id)),
            _member_payload,
        )

    @strawberry.mutation(
        description=described(
            "reset_staff_sign_in",
            "Start a staff member's sign-in afresh: a new initial password returned once, the "
            "second factor enrolled again, the lockout lifted, their sessions ended.",
        )
    )
    async def reset_staff_sign_in(
        self, info: Info, input: StaffMemberIdInput
    ) -> StaffSignInPayload | None:
        c = ctx(info)
        return await payload(
            StaffSignInPayload,
            lambda: reset_staff_sign_in(c.app, c.principal, _member_id(input.staff_member_id)),
            _signed,
        )
