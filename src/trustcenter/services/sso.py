"""Single sign-on: who a person the company's OpenID Connect provider vouched for is on the
staff, and the session they get.

The web layer (:mod:`trustcenter.web.console_sso`) runs the protocol — authorization code with
PKCE, state and nonce, the ID token's signature, issuer, audience, expiry and nonce checked —
and hands :func:`sign_in_with_provider` the token's claims (merged with the userinfo endpoint's
answer for the same ``sub``). Here:

- **Who.** A member is found by the provider's subject: its issuer and ``sub``, stored in
  ``staff_members.oidc_subject`` (:func:`subject_key`) at their first single sign-on. Only when
  no member has that subject yet, an *active* member whose e-mail address is the token's
  ``email`` is linked to it — and only when the provider says it verified that address
  (``email_verified`` true, or the string "true" some providers send); audited
  ``staff.sso_linked``. From then on the subject alone counts, whatever the address becomes. A
  member linked to another subject is not taken over by a second account with their address.
- **Roles.** With ``TRUSTCENTER_OIDC_ROLES_CLAIM`` the provider decides: the claim is a list of
  role names (a string counts as names separated by spaces or commas; case is ignored, unknown
  names are ignored). They are stored on the member at every sign-in — so the session's scopes,
  read from the member on every request, follow the provider — and audited ``staff.updated``
  (by the system, ``source: oidc``) when they change. No role is a refusal. Without the claim
  the staff table's roles count, as for a password sign-in.
- **Joining.** With ``TRUSTCENTER_OIDC_CREATE_STAFF=1`` a person who is not on the staff, whose
  verified address and roles the provider gives, joins at their first sign-in, without a
  password (audited ``staff.created`` by the system, ``source: oidc``).
- **Refusals** raise :class:`~trustcenter.services.sign_in.SignInRefused` (``code``: the
  reason) after ``staff.sign_in_failed`` is audited with the reason and ``stage: "sso"``:
  ``unverified``, ``unknown``, ``disabled``, ``no_roles``, ``linked_elsewhere``, ``claims`` (no
  usable issuer and subject) and ``conflict`` (joined twice at the same moment). The person has
  proved who they are to the company's provider, so the message says which.
- **The session** opens signed in at once (the provider did the authentication, its second
  factor included) through :func:`~trustcenter.services.sessions.open_session`, method
  ``oidc``; audited ``staff.signed_in`` with ``method: "oidc"``. A lockout left by wrong local
  passwords does not stop single sign-on: it guards the password, which the provider does not
  use. Nothing here is throttled: only the provider's one-time code reaches this far.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trustcenter.auth.client_auth import cut
from trustcenter.db.models import StaffMember
from trustcenter.db.uow import Conflict, UnitOfWork
from trustcenter.domain.audit import SYSTEM, Actor
from trustcenter.domain.errors import DomainError
from trustcenter.domain.staff import (
    Role,
    SessionStage,
    SignInMethod,
    StaffStatus,
    check_name,
    normalise_email,
    roles_of,
    stored_roles,
)
from trustcenter.services.deps import SignInParts
from trustcenter.services.sessions import SessionTicket, open_session, person_actor
from trustcenter.services.sign_in import SignInRefused

log = logging.getLogger("trustcenter.auth")

#: the longest stored subject (the column's width)
SUBJECT_MAX = 512

_REFUSALS = {
    "unverified": (
        "Your single sign-on account gives no verified e-mail address, so it cannot be matched "
        "to a staff member. Ask an administrator to add you to the staff."
    ),
    "unknown": "You ({email}) are not on the staff here. Ask an administrator to add you.",
    "disabled": "Your staff account is disabled. Ask an administrator if you need access.",
    "no_roles": (
        "Your single sign-on account gives you no role here. Ask an administrator for one."
    ),
    "linked_elsewhere": (
        "This staff member is linked to another single sign-on account already. Ask an "
        "administrator."
    ),
    "claims": "The provider's answer did not say who you are, so nothing was done.",
    "conflict": "Someone joined the staff with this e-mail address at the same moment: try again.",
}


@dataclass(frozen=True, slots=True)
class ProviderIdentity:
    """What the provider vouched for, as this service uses it."""

    issuer: str
    sub: str
    #: the address, normalised; None when the provider gives none that is one
    email: str | None
    email_verified: bool
    name: str | None
    #: the roles claim's roles; None when no roles claim is configured
    roles: frozenset[Role] | None

    @property
    def subject(self) -> str:
        return subject_key(self.issuer, self.sub)


@dataclass(frozen=True, slots=True)
class _Refusal:
    reason: str
    member_id: uuid.UUID | None = None


def subject_key(issuer: str, sub: str) -> str:
    """How ``staff_members.oidc_subject`` stores a subject: the issuer, a space, the ``sub``
    (an issuer is a URL and has no space, so the pair reads back one way only)."""
    return f"{issuer} {sub}"


def roles_from_claim(value: object) -> frozenset[Role]:
    """The roles a roles claim names: a list of names, or one string of names separated by
    spaces or commas; case is ignored and unknown names are ignored."""
    if isinstance(value, str):
        names: list[object] = list(re.split(r"[\s,]+", value))
    elif isinstance(value, list | tuple):
        names = list(value)
    else:
        return frozenset()
    known = {r.value: r for r in Role}
    return frozenset(
        known[n.strip().lower()] for n in names if isinstance(n, str) and n.strip().lower() in known
    )


def identity_of(claims: Mapping[str, Any], roles_claim: str) -> ProviderIdentity | None:
    """The identity the checked claims give; None without a usable issuer and subject."""
    issuer, sub = claims.get("iss"), claims.get("sub")
    if not isinstance(issuer, str) or not isinstance(sub, str) or not issuer or not sub:
        return None
    if " " in issuer or len(subject_key(issuer, sub)) > SUBJECT_MAX:
        return None
    email = None
    if isinstance(raw := claims.get("email"), str):
        try:
            email = normalise_email(raw)
        except DomainError:
            email = None
    verified = claims.get("email_verified")
    name = claims.get("name")
    return ProviderIdentity(
        issuer=issuer,
        sub=sub,
        email=email,
        email_verified=verified is True or (isinstance(verified, str) and verified == "true"),
        name=name if isinstance(name, str) else None,
        roles=roles_from_claim(claims.get(roles_claim)) if roles_claim else None,
    )


async def sign_in_with_provider(
    app: SignInParts, claims: Mapping[str, Any], *, address: str, user_agent: str | None
) -> SessionTicket:
    """A signed-in session for the staff member the provider's checked claims name (the
    module's docstring has the rules); :class:`SignInRefused` when there is none."""
    who = identity_of(claims, app.settings.oidc_roles_claim)
    outcome: SessionTicket | _Refusal = _Refusal("claims")
    if who is not None:
        try:
            async with app.uow() as uow:
                outcome = await _admit(uow, app, who, address, user_agent)
        except Conflict:
            outcome = _Refusal("conflict")
    if isinstance(outcome, _Refusal):
        await _refused(app, who, outcome, address)
        message = _REFUSALS[outcome.reason].format(email=who.email if who else None)
        raise SignInRefused(message, code=outcome.reason)
    return outcome


async def _admit(
    uow: UnitOfWork,
    app: SignInParts,
    who: ProviderIdentity,
    address: str,
    user_agent: str | None,
) -> SessionTicket | _Refusal:
    """In one unit: find (or add) the member, link them, take the claim's roles and open the
    session; or the refusal, with nothing changed."""
    member = await uow.staff.by_oidc_subject(who.subject)
    if member is None and who.email is not None and who.email_verified:
        member = await uow.staff.by_email(who.email, lock=True)
    if member is None:
        joined = _newcomer(app, who)
        if isinstance(joined, _Refusal):
            return joined
        member = joined
        uow.add(member)
        await _audit_joined(uow, app, member, who)
    elif member.status != StaffStatus.ACTIVE.value:
        return _Refusal("disabled", member.id)
    elif member.oidc_subject not in (None, who.subject):
        return _Refusal("linked_elsewhere", member.id)
    if not (who.roles if who.roles is not None else roles_of(member.roles)):
        return _Refusal("no_roles", member.id)
    if who.roles is not None and who.roles != roles_of(member.roles):
        changed = {"roles": {"from": _listed(roles_of(member.roles)), "to": _listed(who.roles)}}
        member.roles, member.updated_at = stored_roles(who.roles), app.clock.now()
        await uow.audit.record(
            app.clock, SYSTEM, "staff.updated", ("staff", member.id), data=_by_sso(who, changed)
        )
    return await _open(uow, app, member, who, address, user_agent)


async def _open(
    uow: UnitOfWork,
    app: SignInParts,
    member: StaffMember,
    who: ProviderIdentity,
    address: str,
    user_agent: str | None,
) -> SessionTicket:
    """Link the member to the subject (the first time) and open their signed-in session."""
    linking = member.oidc_subject is None
    member.oidc_subject = who.subject
    member.last_sign_in_at = app.clock.now()
    ticket, public_id = open_session(
        uow,
        app,
        member,
        SessionStage.SIGNED_IN,
        address=address,
        user_agent=user_agent,
        method=SignInMethod.OIDC,
    )
    actor = person_actor(member, public_id)
    subject = ("staff", member.id)
    if linking:
        data = _by_sso(who, {"sub": who.sub, "email": who.email})
        await uow.audit.record(app.clock, actor, "staff.sso_linked", subject, data=data)
    data = _by_sso(who, {"method": SignInMethod.OIDC.value, "address": address})
    await uow.audit.record(app.clock, actor, "staff.signed_in", subject, data=data)
    return ticket


def _newcomer(app: SignInParts, who: ProviderIdentity) -> StaffMember | _Refusal:
    """The member a person not on the staff becomes, when they may join; else why not."""
    if who.email is None or not who.email_verified:
        return _Refusal("unverified")
    if not app.settings.oidc_create_staff:
        return _Refusal("unknown")
    if not who.roles:
        return _Refusal("no_roles")
    try:
        name = check_name(who.name or "")
    except DomainError:
        name = who.email
    now = app.clock.now()
    return StaffMember(
        id=uuid.uuid4(),
        email=who.email,
        name=name,
        roles=stored_roles(who.roles),
        status=StaffStatus.ACTIVE.value,
        password_hash=None,
        failed_sign_ins=0,
        oidc_subject=who.subject,
        created_at=now,
        updated_at=now,
    )


async def _audit_joined(
    uow: UnitOfWork, app: SignInParts, member: StaffMember, who: ProviderIdentity
) -> None:
    data = {"email": member.email, "name": member.name, "roles": _listed(roles_of(member.roles))}
    await uow.audit.record(
        app.clock, SYSTEM, "staff.created", ("staff", member.id), data=_by_sso(who, data)
    )


def _by_sso(who: ProviderIdentity, data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "source": "oidc", "issuer": who.issuer}


def _listed(roles: frozenset[Role]) -> list[str]:
    return [r.value for r in Role if r in roles]


async def _refused(
    app: SignInParts, who: ProviderIdentity | None, refusal: _Refusal, address: str
) -> None:
    """Audit a refused single sign-on (``staff.sign_in_failed``, ``stage: "sso"``) and log it."""
    data: dict[str, Any] = {"reason": refusal.reason, "stage": "sso", "address": address}
    if who is not None:
        data.update(issuer=who.issuer, sub=who.sub, email=who.email)
    subject = ("staff", refusal.member_id if refusal.member_id is not None else "unknown")
    anonymous = Actor("anonymous", cut(f"address:{address}", 128))
    async with app.uow() as uow:
        await uow.audit.record(app.clock, anonymous, "staff.sign_in_failed", subject, data=data)
    email = who.email if who is not None else None
    log.warning(
        "single sign-on refused: %s (%s) from %s", cut(email or "-"), refusal.reason, address
    )
