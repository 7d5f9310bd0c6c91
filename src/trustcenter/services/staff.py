"""Staff administration: people on the staff, their roles and their standing (admins only).

A new member gets an initial password, generated and shown once unless one is given; the
second factor is enrolled at the first sign-in. Disabling a member ends every session they hold
at once; resetting their sign-in gives a new initial password, clears the second factor and the
lockout, and ends their sessions too. An admin cannot disable themselves, and the last active
admin person can neither be disabled nor lose the admin role, so the staff can always be
administered. Every change is audited; a password never is.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trustcenter.auth.passwords import hash_password
from trustcenter.auth.principal import Principal
from trustcenter.db.models import StaffMember
from trustcenter.db.uow import Conflict, UnitOfWork
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.staff import (
    Role,
    StaffStatus,
    check_name,
    check_password,
    check_staff,
    normalise_email,
    parse_roles,
    roles_of,
    stored_roles,
)
from trustcenter.services.access import AccessDenied, NotAuthenticated, authorize
from trustcenter.services.audit import actor_of
from trustcenter.services.staff_views import StaffView, staff_view

if TYPE_CHECKING:
    from trustcenter.services.deps import AppParts

#: a member named by id (the API) or by sign-in e-mail address (the command line)
StaffRef = uuid.UUID | str

#: bytes of randomness in a generated initial password (24 URL-safe characters)
INITIAL_PASSWORD_BYTES = 18


@dataclass(frozen=True, slots=True)
class NewSignIn:
    """A member and the initial password they sign in with first."""

    member: StaffView
    #: generated here and shown only in this answer; None when the caller chose it
    initial_password: str | None


async def create_staff(
    app: AppParts,
    principal: Principal,
    *,
    email: str,
    name: str,
    roles: Iterable[str],
    password: str | None = None,
) -> NewSignIn:
    """Add a person to the staff, active, with an initial password: ``password`` when given
    (checked like any new password), else a generated one, returned once."""
    authorize(principal, "create_staff")
    draft = check_staff(email, name, roles)
    chosen = check_password(password, draft.email) if password is not None else None
    initial = chosen if chosen is not None else secrets.token_urlsafe(INITIAL_PASSWORD_BYTES)
    hashed = await asyncio.to_thread(hash_password, initial)
    clock = app.clock
    now = clock.now()
    member = StaffMember(
        id=uuid.uuid4(),
        email=draft.email,
        name=draft.name,
        roles=stored_roles(draft.roles),
        status=StaffStatus.ACTIVE.value,
        password_hash=hashed,
        failed_sign_ins=0,
        created_at=now,
        updated_at=now,
    )
    try:
        async with app.uow() as uow:
            if await uow.staff.by_email(draft.email) is not None:
                raise _taken(draft.email)
            uow.add(member)
            await uow.audit.record(
                clock,
                actor_of(principal),
                "staff.created",
                ("staff", member.id),
                data={
                    "email": member.email,
                    "name": member.name,
                    "roles": _listed(draft.roles),
                    "password_generated": chosen is None,
                },
            )
    except Conflict:
        raise _taken(draft.email) from None  # added at the same moment by someone else
    return NewSignIn(staff_view(member, now), None if chosen is not None else initial)


def _taken(email: str) -> DomainError:
    return DomainError.single(
        "email", f"a staff member with the e-mail address {email} exists", ErrorCode.CONFLICT
    )


def _listed(roles: Iterable[Role]) -> list[str]:
    held = set(roles)
    return [r.value for r in Role if r in held]


async def list_staff(
    app: AppParts, principal: Principal, *, status: StaffStatus | None = None
) -> list[StaffView]:
    """Every staff member, active and disabled (or those with ``status``), by name."""
    authorize(principal, "list_staff")
    async with app.uow.read() as uow:
        rows = await uow.staff.all(status.value if status is not None else None)
    now = app.clock.now()
    return [staff_view(row, now) for row in rows]


async def update_staff(
    app: AppParts,
    principal: Principal,
    ref: StaffRef,
    *,
    name: str | None = None,
    roles: Iterable[str] | None = None,
) -> StaffView:
    """Rename a member or give them other roles (at least one); what changed is audited."""
    authorize(principal, "update_staff")
    if name is None and roles is None:
        raise DomainError.single("input", "give a name or roles to change", ErrorCode.INVALID_INPUT)
    new_name = check_name(name) if name is not None else None
    new_roles = parse_roles(roles) if roles is not None else None
    clock = app.clock
    async with app.uow() as uow:
        admins = await _active_admins(uow)
        member = await _member(uow, ref)
        old_roles = roles_of(member.roles)
        changed: dict[str, Any] = {}
        if new_name is not None and new_name != member.name:
            changed["name"] = {"from": member.name, "to": new_name}
            member.name = new_name
        if new_roles is not None and new_roles != old_roles:
            if Role.ADMIN not in new_roles:
                _keep_an_admin(admins, member, "roles", "lose the admin role")
            changed["roles"] = {"from": _listed(old_roles), "to": _listed(new_roles)}
            member.roles = stored_roles(new_roles)
        if changed:
            member.updated_at = clock.now()
            await uow.audit.record(
                clock, actor_of(principal), "staff.updated", ("staff", member.id), data=changed
            )
    return staff_view(member, clock.now())


async def disable_staff(app: AppParts, principal: Principal, ref: StaffRef) -> StaffView:
    """Disable a member: they can no longer sign in, and every session they hold ends now."""
    authorize(principal, "disable_staff")
    clock = app.clock
    async with app.uow() as uow:
        admins = await _active_admins(uow)
        member = await _member(uow, ref)
        if member.status == StaffStatus.DISABLED.value:
            raise _already(ref, member, "disabled")
        if principal.staff_id is not None and principal.staff_id == member.id:
            raise DomainError.single(
                _field(ref),
                "you cannot disable yourself; another admin can",
                ErrorCode.CONFLICT,
            )
        _keep_an_admin(admins, member, _field(ref), "be disabled")
        now = clock.now()
        member.status = StaffStatus.DISABLED.value
        member.disabled_at = member.updated_at = now
        ended = await uow.sessions.end_all_of(member.id, now)
        await uow.audit.record(
            clock,
            actor_of(principal),
            "staff.disabled",
            ("staff", member.id),
            data={"sessions_ended": ended},
        )
    return staff_view(member, clock.now())


async def enable_staff(app: AppParts, principal: Principal, ref: StaffRef) -> StaffView:
    """Let a disabled member sign in again (with the sign-in they had)."""
    authorize(principal, "enable_staff")
    clock = app.clock
    async with app.uow() as uow:
        member = await _member(uow, ref)
        if member.status == StaffStatus.ACTIVE.value:
            raise _already(ref, member, "active")
        member.status = StaffStatus.ACTIVE.value
        member.disabled_at = None
        member.updated_at = clock.now()
        await uow.audit.record(
            clock, actor_of(principal), "staff.enabled", ("staff", member.id), data={}
        )
    return staff_view(member, clock.now())


async def reset_staff_sign_in(
    app: AppParts, principal: Principal, ref: StaffRef, *, password: str | None = None
) -> NewSignIn:
    """Start a member's sign-in afresh: a new initial password (generated and returned once,
    unless given), the second factor enrolled again at the next sign-in, the lockout lifted,
    and every session they hold ended."""
    authorize(principal, "reset_staff_sign_in")
    initial = password if password is not None else secrets.token_urlsafe(INITIAL_PASSWORD_BYTES)
    hashed = await asyncio.to_thread(hash_password, initial)  # before any row is locked
    clock = app.clock
    async with app.uow() as uow:
        member = await _member(uow, ref)
        if password is not None:
            check_password(password, member.email)
        now = clock.now()
        member.password_hash = hashed
        member.totp_secret = member.totp_enrolled_at = member.totp_last_step = None
        member.failed_sign_ins = 0
        member.locked_until = None
        member.updated_at = now
        ended = await uow.sessions.end_all_of(member.id, now)
        await uow.audit.record(
            clock,
            actor_of(principal),
            "staff.sign_in_reset",
            ("staff", member.id),
            data={"sessions_ended": ended, "password_generated": password is None},
        )
    return NewSignIn(staff_view(member, clock.now()), None if password is not None else initial)


async def staff_by_ids(
    app: AppParts, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, StaffView]:
    """Members by id as the caller may see them: an admin every member, a person themselves,
    anyone else none (an unseen id reads like a missing one)."""
    try:
        authorize(principal, "list_staff")
        wanted = list(ids)
    except (AccessDenied, NotAuthenticated):
        wanted = [i for i in ids if principal.staff_id is not None and i == principal.staff_id]
    if not wanted:
        return {}
    async with app.uow.read() as uow:
        rows = await uow.staff.by_ids(wanted)
    now = app.clock.now()
    return {i: staff_view(row, now) for i, row in rows.items()}


async def signed_in_member(app: AppParts, principal: Principal) -> StaffView | None:
    """The person behind the call (``me``); None for a machine client or the operator."""
    authorize(principal, "read_me")
    if principal.staff_id is None:
        return None
    found = await staff_by_ids(app, principal, [principal.staff_id])
    return found.get(principal.staff_id)


async def _member(uow: UnitOfWork, ref: StaffRef) -> StaffMember:
    """The member ``ref`` names, locked; NOT_FOUND when there is none."""
    if isinstance(ref, uuid.UUID):
        member = await uow.staff.lock(ref)
    else:
        member = await uow.staff.by_email(normalise_email(ref), lock=True)
    if member is None:
        what = "no such staff member" if isinstance(ref, uuid.UUID) else "no staff member has it"
        raise DomainError.single(_field(ref), what, ErrorCode.NOT_FOUND)
    return member


def _field(ref: StaffRef) -> str:
    return "staffMemberId" if isinstance(ref, uuid.UUID) else "email"


def _already(ref: StaffRef, member: StaffMember, status: str) -> DomainError:
    return DomainError.single(
        _field(ref), f"{member.email} is already {status}", ErrorCode.CONFLICT
    )


async def _active_admins(uow: UnitOfWork) -> list[StaffMember]:
    """The active admin people, locked (first, in id order, so two admins changing each other
    at once wait for one another instead of both leaving no admin)."""
    mentioning = await uow.staff.active_mentioning(Role.ADMIN.value)
    return [m for m in mentioning if Role.ADMIN in roles_of(m.roles)]


def _keep_an_admin(admins: list[StaffMember], member: StaffMember, field: str, what: str) -> None:
    """Refuse when ``member`` is the last active admin person."""
    if [a.id for a in admins] == [member.id]:
        raise DomainError.single(
            field,
            f"{member.email} is the last active admin and cannot {what}; make another person "
            "an admin first",
            ErrorCode.CONFLICT,
        )
