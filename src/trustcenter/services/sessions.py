"""Staff sessions: the random token a browser holds, what it is stored as, the CSRF token derived
from it, and the session's life (opened, slid while used, ended).

- **Tokens** are ``secrets.token_urlsafe(32)`` (256 bits). Only their SHA-256 is stored, so a
  copy of ``staff_sessions`` opens no session; a session's ``public_id`` (random, short) is what
  the audit names (``via: "session:<public id>"``).
- **Two stages.** The right password opens a session at ``SECOND_FACTOR`` for
  :data:`PENDING_FOR` (idle and absolute); it is good for nothing but giving the code. The
  right code ends it and opens a new ``SIGNED_IN`` session under a new token, so a token
  learnt before sign-in (session fixation) is worth nothing after it.
- **Expiry.** A signed-in session ends at the first of: sign-out, ``session_idle_minutes``
  without use, ``session_hours`` after sign-in, or its member being disabled (checked on every
  use, so it stops at once). Use slides the idle expiry, written at most once every
  :data:`TOUCH_EVERY` to spare the database — the idle window may therefore end up to a minute
  earlier than configured, never later.
- **CSRF.** The token a form or the ``X-CSRF-Token`` header carries is an HMAC of the session
  token (:func:`csrf_token`): nothing more is stored, a page can show it without showing the
  session token, and another session's value never matches. Compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from trustcenter.auth.principal import Principal
from trustcenter.auth.scopes import scopes_of_roles
from trustcenter.db.models import StaffMember, StaffSession
from trustcenter.db.uow import UnitOfWork
from trustcenter.domain.audit import Actor
from trustcenter.domain.staff import SessionStage, SignInMethod, StaffStatus, roles_of
from trustcenter.services.deps import SignInParts

log = logging.getLogger("trustcenter.auth")

#: how long the password stage waits for the second factor
PENDING_FOR = timedelta(minutes=10)
#: the idle expiry is written at most this often
TOUCH_EVERY = timedelta(minutes=1)
#: what a token looks like (``token_urlsafe(32)`` is 43 characters); anything else is no token
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
_CSRF_LABEL = b"trustcenter console csrf v1"


@dataclass(frozen=True, slots=True)
class SessionTicket:
    """What the browser is given: the session token (the cookie), its CSRF token, the stage and
    when the session ends at the latest (the cookie's Max-Age)."""

    token: str
    csrf: str
    stage: SessionStage
    expires_at: datetime


def digest(token: str | None) -> str | None:
    """The stored form of a session token; None for anything that cannot be one."""
    if not token or not _TOKEN.fullmatch(token):
        return None
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(token: str) -> str:
    """The CSRF token of a session (or of the pre-sign-in cookie): an HMAC of its token."""
    mac = hmac.new(token.encode(), _CSRF_LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def csrf_matches(token: str, given: str | None) -> bool:
    """Whether ``given`` is the CSRF token of the session ``token`` (constant time)."""
    if not given or len(given) > 100:
        return False
    return hmac.compare_digest(csrf_token(token).encode(), given.encode("utf-8", "replace"))


def person_actor(member: StaffMember, public_id: str) -> Actor:
    """How the audit names a person acting through a session."""
    return Actor("person", str(member.id), name=member.name, via=f"session:{public_id}")


def open_session(
    uow: UnitOfWork,
    app: SignInParts,
    member: StaffMember,
    stage: SessionStage,
    *,
    address: str | None,
    user_agent: str | None,
    method: SignInMethod = SignInMethod.PASSWORD,
) -> tuple[SessionTicket, str]:
    """Register a new session for ``member`` in the unit (opened by ``method``: a password,
    or single sign-on); the ticket and the public id."""
    now = app.clock.now()
    if stage is SessionStage.SIGNED_IN:
        expires = now + timedelta(hours=app.settings.session_hours)
        idle = min(now + timedelta(minutes=app.settings.session_idle_minutes), expires)
    else:
        expires = idle = now + PENDING_FOR
    token = secrets.token_urlsafe(32)
    public_id = secrets.token_hex(8)
    uow.add(
        StaffSession(
            token_sha256=hashlib.sha256(token.encode()).hexdigest(),
            public_id=public_id,
            staff_id=member.id,
            stage=stage.value,
            method=method.value,
            created_at=now,
            last_seen_at=now,
            idle_expires_at=idle,
            expires_at=expires,
            address=(address or "")[:100] or None,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    return SessionTicket(token, csrf_token(token), stage, expires), public_id


def live(session: StaffSession, member: StaffMember, stage: SessionStage, now: datetime) -> bool:
    """Whether the session is at ``stage``, open, within both expiries, its member active."""
    return (
        session.stage == stage.value
        and session.ended_at is None
        and now < session.idle_expires_at
        and now < session.expires_at
        and member.status == StaffStatus.ACTIVE.value
    )


async def session_principal(app: SignInParts, token: str | None) -> Principal | None:
    """The person a signed-in session speaks for as of now, or None (no such session, not
    signed in yet, ended, idle or too old, or its member disabled). Slides the idle expiry."""
    sha = digest(token)
    if sha is None:
        return None
    now = app.clock.now()
    async with app.uow.read() as uow:
        found = await uow.sessions.with_member(sha)
    if found is None or not live(*found, SessionStage.SIGNED_IN, now):
        return None
    session, member = found
    if now - session.last_seen_at >= TOUCH_EVERY:
        idle = min(now + timedelta(minutes=app.settings.session_idle_minutes), session.expires_at)
        async with app.uow() as uow:
            await uow.sessions.touch(sha, now, idle)
    return Principal.person(
        member.id,
        member.name,
        member.email,
        scopes_of_roles(roles_of(member.roles)),
        session_id=session.public_id,
    )


async def sign_out(app: SignInParts, token: str | None) -> None:
    """End the session server-side (audited ``staff.signed_out`` for a signed-in one). Signing
    out of a session that has ended already, or of none, does nothing."""
    sha = digest(token)
    if sha is None:
        return
    async with app.uow() as uow:
        found = await uow.sessions.with_member(sha)
        if found is None:
            return
        session, member = found
        if not await uow.sessions.end(sha, app.clock.now()):
            return
        if session.stage == SessionStage.SIGNED_IN.value:
            await uow.audit.record(
                app.clock,
                person_actor(member, session.public_id),
                "staff.signed_out",
                ("staff", member.id),
            )
