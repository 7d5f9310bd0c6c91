"""The user notice's states, as a small state machine (SPEC section 5).

    scheduled -> delivered | failed          (the worker's outcome)
    scheduled <-> suppressed                 (an exception holds it back; lifting it ends the hold)
    failed -> scheduled                      (an operator retries it)

A notice is *open* while it may still be sent: scheduled or suppressed.
"""

from __future__ import annotations

from enum import StrEnum

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
