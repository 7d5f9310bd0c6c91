"""The reviewers' own records on a request: whose queue it is in, and their internal notes.

Neither is part of the request the agency sent or reads: assigning a request or writing a note
does not change its version (so it voids no approval of a release), and agencies read
neither. Both are audited: ``request.assigned`` (who before, who now) and
``request.note_added`` (the note's id and length, never its text).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from trustcenter.auth.principal import Principal
from trustcenter.db.models import InternalNote, Request
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.staff import Role, StaffStatus, roles_of
from trustcenter.services.access import (
    AccessDenied,
    authorize,
    request_scope,
    require_authenticated,
    rule,
)
from trustcenter.services.audit import actor_of
from trustcenter.services.changes import lock_request, require_text
from trustcenter.services.deps import AppParts
from trustcenter.services.view_records import (
    AssigneeView,
    InternalNoteView,
    internal_note_view,
)

#: the longest internal note, in characters (after surrounding blanks are stripped)
NOTE_MAX = 10_000


# --- assignment ---------------------------------------------------------------------------------


async def assign(
    app: AppParts, principal: Principal, request_id: uuid.UUID, staff_id: uuid.UUID | None
) -> Request:
    """Put the request in ``staff_id``'s queue (an active staff member with the reviewer
    role), or in nobody's (None)."""
    authorize(principal, "assign_request")
    clock = app.clock
    async with app.uow() as uow:
        row = await lock_request(uow, principal, request_id, None, agency_only=False)
        if staff_id is not None:
            member = await uow.notes.assignee(staff_id)
            if member is None:
                raise DomainError.single("staffId", "no such staff member", ErrorCode.NOT_FOUND)
            if member.status != StaffStatus.ACTIVE.value or Role.REVIEWER not in roles_of(
                member.roles
            ):
                raise DomainError.single(
                    "staffId",
                    f"{member.name} cannot take requests: only an active staff member with the "
                    "reviewer role can",
                    ErrorCode.INVALID_INPUT,
                )
        before = row.assigned_to
        row.assigned_to = staff_id
        row.assigned_at = clock.now() if staff_id is not None else None
        await uow.audit.record(
            clock,
            actor_of(principal),
            "request.assigned",
            ("request", row.id),
            request_id=row.id,
            data={
                "from": str(before) if before else None,
                "to": str(staff_id) if staff_id else None,
            },
        )
    return row


def queue_filter(
    principal: Principal, assigned_to: uuid.UUID | None, to_me: bool
) -> uuid.UUID | None:
    """Whose queue a request list keeps to (None: anyone's): ``assigned_to``, or the caller's
    own (``to_me``), which only a person has. Queues are the staff's: an agency may not
    filter on them."""
    if assigned_to is None and not to_me:
        return None
    require_authenticated(principal)
    if not principal.is_staff:
        raise DomainError.single(
            "filter.assignedTo", "queues are the staff's: agencies cannot filter on them",
            ErrorCode.INVALID_INPUT,
        )  # fmt: skip
    if to_me and principal.staff_id is None:
        raise DomainError.single(
            "filter.assignedToMe",
            "only a person signed in has a queue; a client acting for no one filters by "
            "assignedTo instead",
            ErrorCode.INVALID_INPUT,
        )
    mine = principal.staff_id if to_me else None
    if assigned_to is not None and mine is not None and assigned_to != mine:
        raise DomainError.single(
            "filter.assignedTo",
            "assignedTo names someone else than assignedToMe: give one of them",
            ErrorCode.INVALID_INPUT,
        )
    return assigned_to or mine


async def assignees(
    app: AppParts, principal: Principal, staff_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, AssigneeView]:
    """Staff: the people requests are assigned to, by id. Anyone else reads none."""
    if not principal.is_staff or not staff_ids:
        return {}
    request_scope(principal)
    async with app.uow.read() as uow:
        names = await uow.notes.staff_names(staff_ids)
    return {i: AssigneeView(i, name) for i, name in names.items()}


# --- internal notes -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoteAdded:
    request: Request
    note: InternalNoteView


async def add_note(
    app: AppParts, principal: Principal, request_id: uuid.UUID, body: str
) -> NoteAdded:
    """A staff-only note on the request (1 to 10,000 characters, surrounding blanks
    stripped), signed with the author's name."""
    authorize(principal, "add_internal_note")
    text = require_text("body", body, NOTE_MAX)
    clock = app.clock
    actor = actor_of(principal)
    async with app.uow() as uow:
        row = await lock_request(uow, principal, request_id, None, agency_only=False)
        note = InternalNote(
            request_id=row.id,
            author_id=principal.client_id or "",
            author_name=actor.name or principal.client_id or "",
            body=text,
            created_at=clock.now(),
        )
        uow.add(note)
        await uow.flush()
        await uow.audit.record(
            clock,
            actor,
            "request.note_added",
            ("request", row.id),
            request_id=row.id,
            data={"note": str(note.id), "length": len(text)},
        )
    return NoteAdded(row, internal_note_view(note))


async def notes_of(
    app: AppParts, principal: Principal, request_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[InternalNoteView]]:
    """Staff who read requests: each request's internal notes, oldest first. Never an
    agency's, whatever scopes it holds."""
    authorize(principal, "read_internal_notes")
    if not principal.is_staff:
        raise AccessDenied(rule("read_internal_notes").needed)
    out: dict[uuid.UUID, list[InternalNoteView]] = {i: [] for i in request_ids}
    async with app.uow.read() as uow:
        for note in await uow.notes.of_requests(request_ids):
            out[note.request_id].append(internal_note_view(note))
    return out
