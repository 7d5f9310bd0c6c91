"""The second factor: time-based one-time passwords (RFC 6238, pyotp), 6 digits every 30
seconds. A code is accepted for the current step and one step either side (clock drift), and
never twice: the caller stores the step a code was accepted for and passes it back."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

STEP_SECONDS = 30
#: steps either side of now a code may belong to
DRIFT = 1


def new_secret() -> str:
    """A fresh base32 secret (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the enrolment QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def code_at(secret: str, when: datetime) -> str:
    """The code of ``when``'s step (the demo prints it; tests sign in with it)."""
    return pyotp.TOTP(secret).at(when)


def accepted_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to if it is right now and newer than ``last_step``;
    None when it is wrong, stale or already used."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT, current + DRIFT + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
