"""What readers are given of a staff member: a frozen view, never the row (no password hash,
no TOTP secret)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from trustcenter.db.models import StaffMember
from trustcenter.domain.staff import Role, StaffStatus, roles_of


@dataclass(frozen=True, slots=True)
class StaffView:
    id: uuid.UUID
    email: str
    name: str
    #: in the order of ``domain.staff.Role``
    roles: tuple[Role, ...]
    status: StaffStatus
    created_at: datetime
    updated_at: datetime
    disabled_at: datetime | None
    last_sign_in_at: datetime | None
    #: the second factor is confirmed (else it is enrolled at the next sign-in)
    totp_enrolled: bool
    #: too many failed sign-ins: locked as of the moment the view was made
    locked: bool
    locked_until: datetime | None


def staff_view(row: StaffMember, now: datetime) -> StaffView:
    """The view of ``row`` as of ``now`` (which decides whether a lockout still holds)."""
    held = roles_of(row.roles)
    locked_until = row.locked_until if row.locked_until and row.locked_until > now else None
    return StaffView(
        id=row.id,
        email=row.email,
        name=row.name,
        roles=tuple(r for r in Role if r in held),
        status=StaffStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        disabled_at=row.disabled_at,
        last_sign_in_at=row.last_sign_in_at,
        totp_enrolled=row.totp_enrolled_at is not None,
        locked=locked_until is not None,
        locked_until=locked_until,
    )
