"""Staff passwords: Argon2id (argon2-cffi) with the library's RFC 9106 low-memory profile.

A sign-in for an unknown or password-less account verifies against a dummy hash, so the
answer takes the same time whether the account exists or not.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: what the product hashes with: Argon2id, t=3, m=64 MiB, p=4 (RFC 9106, second recommendation)
PRODUCTION = PasswordHasher()
_HASHER = PRODUCTION
#: made at the first sign-in, not at import: hashing it costs what a sign-in costs (~0.2 s), and
#: serving starts faster without it (docs/performance.md, start-up)
_DUMMY: str | None = None


def use_hasher(hasher: PasswordHasher) -> None:
    """Hash and check with ``hasher`` from now on, in this process. Only the test suite calls
    it (a cheaper Argon2id for its thousands of hashes); the product always uses
    :data:`PRODUCTION`."""
    global _HASHER, _DUMMY
    _HASHER, _DUMMY = hasher, None


def _dummy() -> str:
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = _HASHER.hash("no account has this password")
    return _DUMMY


@dataclass(frozen=True, slots=True)
class Checked:
    ok: bool
    #: the stored hash uses older parameters: store :func:`hash_password` of it again
    rehash: bool = False


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password(stored: str | None, password: str) -> Checked:
    """Whether ``password`` matches ``stored`` (None: no password; always wrong, same work)."""
    try:
        _HASHER.verify(stored or _dummy(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return Checked(False)
    if stored is None:
        return Checked(False)
    return Checked(True, _HASHER.check_needs_rehash(stored))
