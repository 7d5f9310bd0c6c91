"""The delayed user notice's floor: the guideline tells each affected user 31 days after the
disclosure. A jurisdiction's rules may wait longer, never less. Only a recorded lawful
exception holds a notice back (SPEC section 5)."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

#: The guideline's delay between a release and the notice to each affected user; also the floor
#: below which no jurisdiction's rules may go.
NOTICE_DELAY = timedelta(days=31)
#: A delay beyond ten years is no notice at all: notices are held back only by a recorded,
#: justified exception, never by a delay.
NOTICE_DELAY_CEILING = timedelta(days=3653)
#: an exception without an end date comes up for re-review this long after it was recorded or
#: last confirmed
REVIEW_EVERY = timedelta(days=90)


class ExceptionKind(StrEnum):
    """The lawful reasons to hold a user notice back."""

    COURT_ORDER_OR_LAW = "court_order_or_law"
    RISK_OF_HARM = "risk_of_harm"
    CHILD_ABUSE = "child_abuse"


def notice_delay_refusal(delay: object) -> str | None:
    """Why a proposed delay cannot be applied, or None when it can (a ``timedelta`` of at least
    the guideline's 31 days and at most ten years). ``None`` is not a proposal: the caller uses
    the guideline's delay."""
    if not isinstance(delay, timedelta):
        return f"answered {type(delay).__name__} {repr(delay)[:80]}, not a timedelta"
    if delay < NOTICE_DELAY:
        return (
            f"answered {_days(delay)}; the user notice is never sooner than "
            f"{NOTICE_DELAY.days} days after release"
        )
    if delay > NOTICE_DELAY_CEILING:
        return (
            f"answered {_days(delay)}; a delay of more than ten years is no notice at all "
            "(hold notices back with a recorded exception instead)"
        )
    return None


def _days(delay: timedelta) -> str:
    days = delay / timedelta(days=1)
    return "1 day" if days == 1 else f"{days:g} days"
