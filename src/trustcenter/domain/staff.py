"""Staff are people: who they are, what their roles let them do, and the rules of signing in.

A staff member has a name, an e-mail address (their sign-in name, compared case-insensitively),
one or more roles and a status. Roles map to the staff scopes the API already knows
(``trustcenter.auth.scopes.ROLE_SCOPES``); a disabled member can neither sign in nor keep a
session. The numbers of the sign-in policy (lockout, session lifetimes, the password's length)
live here so every entry point applies the same ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from trustcenter.domain.errors import DomainError, ErrorCode, Problem


class Role(StrEnum):
    """What a staff member does; each role grants one staff scope."""

    REVIEWER = "reviewer"
    NOTICES = "notices"
    REPORTS = "reports"
    AUDITOR = "auditor"
    ADMIN = "admin"


class StaffStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class SignInMethod(StrEnum):
    """How a session was opened: a local password and a second factor, or single sign-on."""

    PASSWORD = "password"  # noqa: S105 (a method's name, not a secret)
    OIDC = "oidc"


class SessionStage(StrEnum):
    """A session is signed in only once the second factor is given (or the provider vouched)."""

    #: the password was right; the second factor (or its enrolment) is still owed
    SECOND_FACTOR = "second_factor"
    SIGNED_IN = "signed_in"


#: a password shorter than this is refused (NIST SP 800-63B: at least 8; we ask for more);
#: longer than the maximum is refused too, so hashing a huge input costs nothing
PASSWORD_MIN = 12
PASSWORD_MAX = 256
NAME_MAX = 200
EMAIL_MAX = 254

#: consecutive failed sign-ins (password or second factor) before the account is locked
LOCK_AFTER = 5
#: how long the first lock lasts; each further failure while counting doubles it, up to a day
LOCK_FOR = timedelta(minutes=15)
LOCK_MAX = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class StaffDraft:
    """A new staff member, checked."""

    email: str
    name: str
    roles: frozenset[Role]


def normalise_email(raw: str, field: str = "email") -> str:
    """The sign-in name as stored and compared: trimmed and lower-case."""
    from email_validator import EmailNotValidError, validate_email  # loaded by the first check

    text = (raw or "").strip()
    try:
        email = validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        email = ""
    if not email or len(email) > EMAIL_MAX:
        raise DomainError.single(field, "must be an e-mail address", ErrorCode.INVALID_INPUT)
    return email


def parse_roles(raw: Iterable[str], field: str = "roles") -> frozenset[Role]:
    """At least one role, each one of :class:`Role` (case-insensitive)."""
    known = {r.value: r for r in Role}
    wanted = [str(r).strip().lower() for r in raw if str(r).strip()]
    unknown = sorted({r for r in wanted if r not in known})
    if unknown:
        raise DomainError.single(
            field,
            f"unknown role {', '.join(unknown)}; the roles are {', '.join(known)}",
            ErrorCode.INVALID_INPUT,
        )
    if not wanted:
        raise DomainError.single(field, "give at least one role", ErrorCode.INVALID_INPUT)
    return frozenset(known[r] for r in wanted)


def stored_roles(roles: Iterable[Role]) -> str:
    """Roles as a column holds them: space-separated, in the order of :class:`Role`."""
    chosen = set(roles)
    return " ".join(r.value for r in Role if r in chosen)


def roles_of(stored: str) -> frozenset[Role]:
    """The roles a column holds (an unknown word, from a later version, is ignored)."""
    known = {r.value: r for r in Role}
    return frozenset(known[w] for w in stored.split() if w in known)


def check_staff(email: str, name: str, roles: Iterable[str]) -> StaffDraft:
    """A new staff member's fields, every problem named at once."""
    problems: list[Problem] = []
    checked_email = checked_name = None
    checked_roles: frozenset[Role] = frozenset()
    for step in ("email", "name", "roles"):
        try:
            if step == "email":
                checked_email = normalise_email(email)
            elif step == "name":
                checked_name = check_name(name)
            else:
                checked_roles = parse_roles(roles)
        except DomainError as e:
            problems.extend(e.problems)
    if problems:
        raise DomainError(problems)
    assert checked_email is not None and checked_name is not None
    return StaffDraft(checked_email, checked_name, checked_roles)


def check_name(raw: str, field: str = "name") -> str:
    name = " ".join((raw or "").split())
    if not name or len(name) > NAME_MAX:
        raise DomainError.single(
            field, f"give a name of 1 to {NAME_MAX} characters", ErrorCode.INVALID_INPUT
        )
    return name


def check_password(password: str, email: str, field: str = "password") -> str:
    """A new password: long enough, not too long, and not the e-mail address."""
    if len(password) < PASSWORD_MIN:
        raise DomainError.single(
            field, f"use at least {PASSWORD_MIN} characters", ErrorCode.INVALID_INPUT
        )
    if len(password) > PASSWORD_MAX:
        raise DomainError.single(
            field, f"use at most {PASSWORD_MAX} characters", ErrorCode.INVALID_INPUT
        )
    if password.strip().lower() in {email.lower(), email.split("@", 1)[0].lower()}:
        raise DomainError.single(field, "must not be the e-mail address", ErrorCode.INVALID_INPUT)
    return password


def locked_until(failures: int, now: datetime) -> datetime | None:
    """After ``failures`` consecutive failed sign-ins, until when the account is locked (None:
    not locked). The fifth failure locks for 15 minutes, each further one doubles it."""
    if failures < LOCK_AFTER:
        return None
    doublings: int = min(failures - LOCK_AFTER, 10)
    span: timedelta = LOCK_FOR * (1 << doublings)
    return now + min(span, LOCK_MAX)
