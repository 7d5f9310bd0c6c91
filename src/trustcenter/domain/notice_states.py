"""The user notice's states, as a small state machine (SPEC section 5).

    scheduled -> delivered | failed          (the worker's outcome)
    scheduled <-> suppressed                 (an exception holds it back; lifting it ends the hold)
    failed -> scheduled                      (an operator retries it)

A notice is *open* while it may still be sent: scheduled or suppressed. A failed attempt that
will be retried leaves the notice scheduled (no change of state; only its back-off moves).

Changes applied to many notices at once (a bulk UPDATE) are declared as ``Transition``s, which
the machine checks when they are declared.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from trustcenter.domain.errors import DomainError, ErrorCode


class NoticeStatus(StrEnum):
    SCHEDULED = "scheduled"
    SUPPRESSED = "suppressed"
    DELIVERED = "delivered"
    FAILED = "failed"


#: Notices that may still be sent.
OPEN_NOTICE_STATES: frozenset[NoticeStatus] = frozenset(
    {NoticeStatus.SCHEDULED, NoticeStatus.SUPPRESSED}
)

_NEXT: dict[NoticeStatus, frozenset[NoticeStatus]] = {
    NoticeStatus.SCHEDULED: frozenset(
        {NoticeStatus.DELIVERED, NoticeStatus.FAILED, NoticeStatus.SUPPRESSED}
    ),
    NoticeStatus.SUPPRESSED: frozenset({NoticeStatus.SCHEDULED}),
    NoticeStatus.FAILED: frozenset({NoticeStatus.SCHEDULED}),
    NoticeStatus.DELIVERED: frozenset(),
}


def can_move(current: NoticeStatus, to: NoticeStatus) -> bool:
    return to in _NEXT[current]


def move(current: NoticeStatus, to: NoticeStatus) -> NoticeStatus:
    """The notice's next state, or a refusal naming where it is and where it may go."""
    if not can_move(current, to):
        allowed = ", ".join(sorted(s.value for s in _NEXT[current])) or "none"
        raise DomainError.single(
            "status",
            f"a {current.value} notice cannot become {to.value} (allowed: {allowed})",
            ErrorCode.INVALID_TRANSITION,
        )
    return to


class Transition(NamedTuple):
    """A change of state applied to every notice in ``source`` that a bulk update selects."""

    source: NoticeStatus
    target: NoticeStatus


def transition(source: NoticeStatus, target: NoticeStatus) -> Transition:
    """A bulk change of state, refused (at import) unless the machine allows it."""
    move(source, target)
    return Transition(source, target)


#: an exception holds the request's scheduled notices back
SUPPRESS = transition(NoticeStatus.SCHEDULED, NoticeStatus.SUPPRESSED)
#: the worker's outcome: every channel accepted the notice
DELIVER = transition(NoticeStatus.SCHEDULED, NoticeStatus.DELIVERED)
#: the worker's outcome: the last attempt allowed failed too
GIVE_UP = transition(NoticeStatus.SCHEDULED, NoticeStatus.FAILED)
#: no exception holds any more: the suppressed notices are due again
RESUME = transition(NoticeStatus.SUPPRESSED, NoticeStatus.SCHEDULED)
