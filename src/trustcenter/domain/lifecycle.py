"""The request lifecycle (SPEC section 3) as a state machine of named operations.

    received -> in_review -> (clarification_requested <-> in_review)
             -> approved | partially_approved | objected | rejected -> disclosed -> closed
    withdrawn from any state before disclosed; superseded when a revision replaces the request.

Every change of status goes through :func:`transition`; nothing else assigns a status. What
else depends on the status (deciding items, reclassifying) is an :class:`Activity` checked here
too (:func:`check`).
"""

from __future__ import annotations

from enum import StrEnum

from trustcenter.domain.errors import DomainError, ErrorCode, Problem


class RequestStatus(StrEnum):
    RECEIVED = "received"
    IN_REVIEW = "in_review"
    CLARIFICATION_REQUESTED = "clarification_requested"
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    OBJECTED = "objected"
    REJECTED = "rejected"
    DISCLOSED = "disclosed"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"


class Operation(StrEnum):
    """The named transitions; each is its own use case with its own permission."""

    START_REVIEW = "start_review"
    ASK_CLARIFICATION = "ask_clarification"
    ANSWER_CLARIFICATION = "answer_clarification"
    APPROVE = "approve"
    APPROVE_PARTIALLY = "approve_partially"
    OBJECT = "object"
    REJECT = "reject"
    RELEASE = "release"
    CLOSE = "close"
    WITHDRAW = "withdraw"
    SUPERSEDE = "supersede"


S = RequestStatus

#: Statuses from which an agency may still pull a request back or replace it with a revision.
BEFORE_DISCLOSURE: frozenset[RequestStatus] = frozenset(
    {
        S.RECEIVED,
        S.IN_REVIEW,
        S.CLARIFICATION_REQUESTED,
        S.APPROVED,
        S.PARTIALLY_APPROVED,
        S.OBJECTED,
        S.REJECTED,
    }
)

#: Statuses in which the company still owes the agency an answer (deadlines apply).
OPEN: frozenset[RequestStatus] = frozenset(
    {S.RECEIVED, S.IN_REVIEW, S.CLARIFICATION_REQUESTED, S.APPROVED, S.PARTIALLY_APPROVED}
)

#: Statuses in which nothing more can happen to a request.
TERMINAL: frozenset[RequestStatus] = frozenset({S.CLOSED, S.WITHDRAWN, S.SUPERSEDED})

#: operation -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[Operation, tuple[frozenset[RequestStatus], RequestStatus]] = {
    Operation.START_REVIEW: (frozenset({S.RECEIVED}), S.IN_REVIEW),
    Operation.ASK_CLARIFICATION: (frozenset({S.IN_REVIEW}), S.CLARIFICATION_REQUESTED),
    Operation.ANSWER_CLARIFICATION: (frozenset({S.CLARIFICATION_REQUESTED}), S.IN_REVIEW),
    Operation.APPROVE: (frozenset({S.IN_REVIEW}), S.APPROVED),
    Operation.APPROVE_PARTIALLY: (frozenset({S.IN_REVIEW}), S.PARTIALLY_APPROVED),
    Operation.OBJECT: (frozenset({S.IN_REVIEW}), S.OBJECTED),
    Operation.REJECT: (frozenset({S.IN_REVIEW}), S.REJECTED),
    Operation.RELEASE: (frozenset({S.APPROVED, S.PARTIALLY_APPROVED}), S.DISCLOSED),
    Operation.CLOSE: (frozenset({S.DISCLOSED, S.OBJECTED, S.REJECTED}), S.CLOSED),
    Operation.WITHDRAW: (BEFORE_DISCLOSURE, S.WITHDRAWN),
    Operation.SUPERSEDE: (BEFORE_DISCLOSURE, S.SUPERSEDED),
}


class Party(StrEnum):
    """Who performs an operation: the requesting agency, or the company's reviewers."""

    AGENCY = "agency"
    REVIEWER = "reviewer"


#: who may perform each operation (the only place this is decided)
PERFORMED_BY: dict[Operation, Party] = {
    Operation.START_REVIEW: Party.REVIEWER,
    Operation.ASK_CLARIFICATION: Party.REVIEWER,
    Operation.ANSWER_CLARIFICATION: Party.AGENCY,
    Operation.APPROVE: Party.REVIEWER,
    Operation.APPROVE_PARTIALLY: Party.REVIEWER,
    Operation.OBJECT: Party.REVIEWER,
    Operation.REJECT: Party.REVIEWER,
    Operation.RELEASE: Party.REVIEWER,
    Operation.CLOSE: Party.REVIEWER,
    Operation.WITHDRAW: Party.AGENCY,
    Operation.SUPERSEDE: Party.AGENCY,
}

#: each operation as the verb phrase of "cannot ... a request that is RECEIVED"
_VERB: dict[Operation, str] = {
    Operation.START_REVIEW: "start the review of",
    Operation.ASK_CLARIFICATION: "ask for clarification on",
    Operation.ANSWER_CLARIFICATION: "answer a question on",
    Operation.APPROVE: "approve",
    Operation.APPROVE_PARTIALLY: "partially approve",
    Operation.OBJECT: "object to",
    Operation.REJECT: "reject",
    Operation.RELEASE: "release a disclosure for",
    Operation.CLOSE: "close",
    Operation.WITHDRAW: "withdraw",
    Operation.SUPERSEDE: "revise",
}


class TransitionRefused(DomainError):
    """The operation is not allowed from the request's current status."""

    def __init__(self, operation: Operation, current: RequestStatus) -> None:
        allowed = sorted(s.name for s in TRANSITIONS[operation][0])
        super().__init__(
            [
                Problem(
                    "requestId",
                    f"cannot {_VERB[operation]} a request that is "
                    f"{current.name}; allowed only from {', '.join(allowed)}",
                    ErrorCode.INVALID_TRANSITION,
                )
            ]
        )
        self.operation = operation
        self.current = current


class Activity(StrEnum):
    """What is done to a request in some statuses only, without being a transition of its own:
    deciding items (the transition then follows from the decisions,
    ``domain.decisions.operation_for``) and moving the request to another report category."""

    DECIDE = "decide"
    RECLASSIFY = "reclassify"


#: activity -> the statuses it is allowed in
ALLOWED_IN: dict[Activity, frozenset[RequestStatus]] = {
    Activity.DECIDE: frozenset({S.IN_REVIEW}),
    # a disclosed, closed, withdrawn or superseded request keeps the category it was answered
    # (or replaced) under
    Activity.RECLASSIFY: BEFORE_DISCLOSURE,
}


class ActivityRefused(DomainError):
    """The activity is not allowed in the request's current status."""

    def __init__(self, activity: Activity, current: RequestStatus) -> None:
        if activity is Activity.DECIDE:
            allowed = " or ".join(sorted(s.name for s in ALLOWED_IN[activity]))
            message = f"decisions are made while a request is {allowed}; this one is {current.name}"
        else:
            message = (
                f"cannot reclassify a request that is {current.name}: it keeps the category "
                "it was answered under"
            )
        super().__init__([Problem("requestId", message, ErrorCode.INVALID_TRANSITION)])
        self.activity = activity
        self.current = current


def can(operation: Operation, current: RequestStatus) -> bool:
    return current in TRANSITIONS[operation][0]


def check(step: Operation | Activity, current: RequestStatus) -> None:
    """Refuse ``step`` in ``current``: :class:`TransitionRefused` for an operation,
    :class:`ActivityRefused` for an activity."""
    if isinstance(step, Operation):
        if not can(step, current):
            raise TransitionRefused(step, current)
    elif current not in ALLOWED_IN[step]:
        raise ActivityRefused(step, current)


def transition(current: RequestStatus, operation: Operation) -> RequestStatus:
    """The status after ``operation``, or :class:`TransitionRefused`."""
    sources, target = TRANSITIONS[operation]
    if current not in sources:
        raise TransitionRefused(operation, current)
    return target


def allowed_operations(current: RequestStatus, by: Party | None = None) -> list[Operation]:
    """What may be done next from ``current``; with ``by``, only what that party performs."""
    return [
        op
        for op, (sources, _) in TRANSITIONS.items()
        if current in sources and (by is None or PERFORMED_BY[op] is by)
    ]
