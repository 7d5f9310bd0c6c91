"""The embedded staff sign-in: a local password (Argon2id), then a second factor (TOTP).

1. :func:`sign_in_with_password` opens a session at the second-factor stage;
2. :func:`enrolment` gives the authenticator's secret when the member has none confirmed yet
   (the page shows it as a QR code and as text);
3. :func:`give_second_factor` checks the code and swaps the pending session for a signed-in one
   under a new token; :func:`session_principal` turns that token into the person on every call
   and :func:`sign_out` ends it (both in :mod:`trustcenter.services.sessions`).

Refusals raise :class:`SignInRefused` with a message fit to show:

- **One answer for every wrong guess.** An unknown e-mail address, a wrong password, a disabled
  member and a member without a password all answer "the e-mail address or the password is
  wrong" after the same work: the password is verified against a dummy Argon2 hash when there
  is no usable one, and each failure is written (audit, and the member's failure count when
  there is a member) in one unit of work.
- **Throttle.** Failures are counted per e-mail address (normalised) and per source address in
  ``app.sign_in_throttle`` (the token endpoint's limiter, in the same storage). The budget is
  checked before any work and spent only by failures; while it is spent every attempt,
  the right password included, answers "too many failed sign-ins" with ``retry_after``.
- **Lockout.** Consecutive failures (wrong passwords and wrong codes alike) are counted on the
  member's row and reset by a complete sign-in (password *and* code: a right password alone
  resets nothing, so the second factor cannot be guessed in rounds). The fifth locks the
  account (``domain.staff.locked_until``: 15 minutes, doubling with each further failure).
  *Decision:* while locked, every attempt — whatever the password — is refused with the
  throttle's answer, "too many failed sign-ins", and the seconds left; no password is checked,
  so the answer never says whether a guess was right, and attempts during the lock do not
  extend it. What a guesser learns is what the throttle tells anyone: that this address has
  failed too often; the longer wait tells them that an account exists there, which they could
  only learn by locking it (staff addresses are not secret; their passwords are).
- **Local sign-in off** (``TRUSTCENTER_LOCAL_SIGN_IN=0``): refused before anything, with its
  own message.

Audited: ``staff.sign_in_failed`` (the reason and the stage, never the password or the code),
``staff.locked``, ``staff.totp_enrolled`` and ``staff.signed_in``; ``staff.signed_out`` in
:mod:`~trustcenter.services.sessions`.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from trustcenter.auth.client_auth import cut
from trustcenter.auth.key_sealing import open_sealed, seal
from trustcenter.auth.passwords import check_password, hash_password
from trustcenter.auth.principal import Principal
from trustcenter.auth.totp import accepted_step, new_secret, provisioning_uri
from trustcenter.db.models import StaffMember, StaffSession
from trustcenter.domain.audit import Actor
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.staff import (
    PASSWORD_MAX,
    SessionStage,
    StaffStatus,
    locked_until,
    normalise_email,
)
from trustcenter.services.access import authorize
from trustcenter.services.audit import actor_of
from trustcenter.services.deps import SignInParts
from trustcenter.services.sessions import (
    SessionTicket,
    csrf_token,
    digest,
    live,
    open_session,
    person_actor,
    session_principal,
    sign_out,
)

__all__ = [
    "Enrolment",
    "SessionTicket",
    "SignInRefused",
    "csrf_token",
    "enrolment",
    "give_second_factor",
    "session_principal",
    "sign_in_with_password",
    "sign_out",
]

log = logging.getLogger("trustcenter.auth")

WRONG = "the e-mail address or the password is wrong"
WRONG_CODE = "the code is wrong, too old or used already"
LOCAL_OFF = "signing in with a password is turned off here: use single sign-on"
EXPIRED = "this sign-in has expired or was finished: start again"


class SignInRefused(Exception):
    """A sign-in step refused. ``retry_after``: seconds to wait (throttled or locked);
    ``code``: ``wrong``, ``throttled``, ``off`` (local sign-in turned off) or ``expired`` (the
    pending session is gone: start again)."""

    def __init__(self, message: str, retry_after: int | None = None, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.code = code or ("throttled" if retry_after is not None else "wrong")


@dataclass(frozen=True, slots=True)
class Enrolment:
    """The authenticator's secret (base32, for typing in) and its ``otpauth://`` address (the
    QR code)."""

    secret: str
    uri: str


def _too_many(seconds: float) -> SignInRefused:
    wait = max(1, int(seconds + 0.999))
    minutes = (wait + 59) // 60
    when = f"{wait} seconds" if wait < 120 else f"{minutes} minutes"
    return SignInRefused(f"too many failed sign-ins: try again in {when}", retry_after=wait)


def _locked_for(member: StaffMember, now: datetime) -> float | None:
    """Seconds the member stays locked; None when not locked."""
    until = member.locked_until
    return (until - now).total_seconds() if until is not None and until > now else None


async def _check_throttle(app: SignInParts, key: str, address: str) -> None:
    wait = await app.sign_in_throttle.retry_after(key, address)
    if wait is not None:
        raise _too_many(wait)


def _throttle_key(email: str) -> tuple[str | None, str]:
    """(the normalised e-mail address or None when it is none, the throttle's key)."""
    try:
        normal = normalise_email(email)
    except DomainError:
        return None, cut(" ".join((email or "").split()).lower(), 254)
    return normal, normal


async def _failed(
    app: SignInParts,
    key: str,
    address: str,
    member_id: uuid.UUID | None,
    reason: str,
    *,
    stage: str,
    counts: bool = True,
) -> None:
    """Write down a failure: the member's count (and lock), the audit, the throttle, the log."""
    now = app.clock.now()
    data: dict[str, Any] = {"reason": reason, "stage": stage, "address": address}
    async with app.uow() as uow:
        member = await uow.staff.lock(member_id) if member_id is not None else None
        if member is None:
            data["email"] = key
        elif counts:
            member.failed_sign_ins = (member.failed_sign_ins or 0) + 1
            data["failures"] = member.failed_sign_ins
            until = locked_until(member.failed_sign_ins, now)
            if until is not None:
                member.locked_until = until
                lock = {"failures": member.failed_sign_ins, "until": until.isoformat()}
                await uow.audit.record(
                    app.clock, _anonymous(address), "staff.locked", ("staff", member.id), data=lock
                )
        subject = ("staff", member.id if member is not None else "unknown")
        await uow.audit.record(
            app.clock, _anonymous(address), "staff.sign_in_failed", subject, data=data
        )
    await app.sign_in_throttle.failed(key, address)
    log.warning("staff sign-in failed: %s (%s) from %s", cut(key), reason, cut(address, 100))


def _anonymous(address: str) -> Actor:
    """Who the audit names for an attempt not (yet) signed in: its source address."""
    return Actor("anonymous", cut(f"address:{address}", 128))


async def sign_in_with_password(
    app: SignInParts, email: str, password: str, *, address: str, user_agent: str | None
) -> SessionTicket:
    """The first step: the right password of an active member opens a session at the
    second-factor stage (the module's docstring has the refusals)."""
    if not app.settings.local_sign_in:
        raise SignInRefused(LOCAL_OFF, code="off")
    normal, key = _throttle_key(email)
    await _check_throttle(app, key, address)
    now = app.clock.now()
    member = None
    if normal is not None:
        async with app.uow.read() as uow:
            member = await uow.staff.by_email(normal)
    if member is not None and (left := _locked_for(member, now)) is not None:
        await _failed(app, key, address, member.id, "locked", stage="password", counts=False)
        raise _too_many(left)
    reason = _unusable(member, password)
    stored = member.password_hash if member is not None and reason is None else None
    checked = check_password(stored, password[:PASSWORD_MAX])
    if not checked.ok:
        member_id = member.id if member is not None else None
        await _failed(app, key, address, member_id, reason or "wrong password", stage="password")
        raise SignInRefused(WRONG)
    assert member is not None
    rehashed = hash_password(password) if checked.rehash else None
    async with app.uow() as uow:
        row = await uow.staff.lock(member.id)
        if row is None or _unusable(row, password) or _locked_for(row, now) is not None:
            ticket = None  # disabled or locked meanwhile
        else:
            if rehashed is not None:
                row.password_hash = rehashed
            ticket, _ = open_session(
                uow, app, row, SessionStage.SECOND_FACTOR, address=address, user_agent=user_agent
            )
    if ticket is None:
        raise SignInRefused(WRONG)
    return ticket


def _unusable(member: StaffMember | None, password: str) -> str | None:
    """Why a password cannot sign this member in whatever it is; None when it may."""
    if member is None:
        return "unknown e-mail"
    if member.status != StaffStatus.ACTIVE.value:
        return "disabled"
    if member.password_hash is None:
        return "no password"
    if len(password) > PASSWORD_MAX:
        return "wrong password"
    return None


async def _pending(app: SignInParts, token: str | None) -> tuple[str, StaffMember, StaffSession]:
    """The digest, member and session of a live second-factor session; else refused."""
    sha = digest(token)
    if sha is not None:
        async with app.uow.read() as uow:
            found = await uow.sessions.with_member(sha)
        if found is not None and live(*found, SessionStage.SECOND_FACTOR, app.clock.now()):
            return sha, found[1], found[0]
    raise SignInRefused(EXPIRED, code="expired")


def _secret_of(app: SignInParts, member: StaffMember) -> str | None:
    if member.totp_secret is None:
        return None
    return open_sealed(app.settings.secret_key_bytes, f"totp:{member.id}", member.totp_secret)


def _sealed(app: SignInParts, member: StaffMember, secret: str) -> str:
    key = app.settings.secret_key_bytes
    return secret if key is None else seal(key, f"totp:{member.id}", secret)


def _issuer_label(app: SignInParts) -> str:
    """How an authenticator app names this service: "trustcenter (host)"."""
    host = urlsplit(app.settings.issuer).hostname or "localhost"
    return f"trustcenter ({host})"


async def enrolment(app: SignInParts, token: str | None) -> Enrolment | None:
    """The authenticator's secret for a pending session whose member has no confirmed second
    factor (made and stored, sealed, the first time it is asked for; the same one again until
    a code confirms it); None when the member is enrolled already."""
    if not app.settings.local_sign_in:
        raise SignInRefused(LOCAL_OFF, code="off")
    _, member, _ = await _pending(app, token)
    if member.totp_enrolled_at is not None:
        return None
    secret = _secret_of(app, member)
    if secret is None:
        async with app.uow() as uow:
            row = await uow.staff.lock(member.id)
            assert row is not None  # members are disabled, never deleted
            secret = _secret_of(app, row)
            if secret is None:
                secret = new_secret()
                row.totp_secret = _sealed(app, row, secret)
    return Enrolment(secret, provisioning_uri(secret, member.email, _issuer_label(app)))


async def give_second_factor(
    app: SignInParts, token: str | None, code: str, *, address: str
) -> SessionTicket:
    """The second step: the current code of the member's authenticator (never one used before;
    the first good one confirms an enrolment) ends the pending session and opens a signed-in
    one under a new token. A wrong code counts toward the lockout and the throttle."""
    if not app.settings.local_sign_in:
        raise SignInRefused(LOCAL_OFF, code="off")
    sha, member, session = await _pending(app, token)
    await _check_throttle(app, member.email, address)
    now = app.clock.now()
    if (left := _locked_for(member, now)) is not None:
        await _failed(app, member.email, address, member.id, "locked", stage="code", counts=False)
        raise _too_many(left)
    secret = _secret_of(app, member)
    digits = "".join(code[:32].split())
    step = None
    if secret is not None and digits.isascii() and digits.isdigit():
        step = accepted_step(secret, digits, now, member.totp_last_step)
    if step is None:
        await _failed(app, member.email, address, member.id, "wrong code", stage="code")
        raise SignInRefused(WRONG_CODE)
    outcome = await _signed_in(app, sha, member.id, step, address, session.user_agent)
    if isinstance(outcome, SignInRefused):
        raise outcome
    return outcome


async def _signed_in(
    app: SignInParts,
    sha: str,
    member_id: uuid.UUID,
    step: int,
    address: str,
    user_agent: str | None,
) -> SessionTicket | SignInRefused:
    """Swap the pending session for a signed-in one, unless something changed meanwhile (the
    member disabled or locked, the code used by a concurrent attempt, the session ended)."""
    now = app.clock.now()
    async with app.uow() as uow:
        row = await uow.staff.lock(member_id)
        if row is None or row.status != StaffStatus.ACTIVE.value:
            return SignInRefused(EXPIRED, code="expired")
        if (left := _locked_for(row, now)) is not None:
            return _too_many(left)
        if row.totp_last_step is not None and step <= row.totp_last_step:
            return SignInRefused(WRONG_CODE)
        if not await uow.sessions.end(sha, now, stage=SessionStage.SECOND_FACTOR.value):
            return SignInRefused(EXPIRED, code="expired")
        row.totp_last_step = step
        row.failed_sign_ins = 0
        row.locked_until = None
        row.last_sign_in_at = now
        ticket, public_id = open_session(
            uow, app, row, SessionStage.SIGNED_IN, address=address, user_agent=user_agent
        )
        actor = person_actor(row, public_id)
        if row.totp_enrolled_at is None:
            row.totp_enrolled_at = now
            await uow.audit.record(app.clock, actor, "staff.totp_enrolled", ("staff", row.id))
        data = {"method": "password", "address": address}
        await uow.audit.record(app.clock, actor, "staff.signed_in", ("staff", row.id), data=data)
    return ticket


async def preset_second_factor(
    app: SignInParts, principal: Principal, staff_id: uuid.UUID, secret: str
) -> None:
    """Give a member a known authenticator secret, confirmed at once (for people moving from
    an earlier system with their authenticators, and the demo's staff); an admin's act,
    audited without the secret."""
    authorize(principal, "reset_staff_sign_in")
    secret = "".join(secret.split()).upper()
    if len(secret) < 16 or not set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"):
        raise DomainError.single(
            "secret", "give a base32 secret of at least 16 characters", ErrorCode.INVALID_INPUT
        )
    now = app.clock.now()
    async with app.uow() as uow:
        row = await uow.staff.lock(staff_id)
        if row is None:
            raise DomainError.single("staffId", "no such staff member", ErrorCode.NOT_FOUND)
        row.totp_secret = _sealed(app, row, secret)
        row.totp_enrolled_at, row.totp_last_step, row.updated_at = now, None, now
        await uow.audit.record(
            app.clock, actor_of(principal), "staff.totp_preset", ("staff", row.id)
        )
