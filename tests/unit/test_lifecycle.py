"""The request lifecycle of SPEC section 3, checked against a table written out by hand.

The expected table below is deliberately NOT derived from ``lifecycle.TRANSITIONS``: it is
transcribed from the spec so that a wrong entry in the code makes these tests fail.
"""

from __future__ import annotations

import itertools
import re

import pytest

from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.lifecycle import (
    BEFORE_DISCLOSURE,
    TERMINAL,
    Operation,
    Party,
    RequestStatus,
    TransitionRefused,
    allowed_operations,
    can,
    transition,
)

S = RequestStatus
Op = Operation

# received -> in_review -> (clarification_requested <-> in_review)
#          -> approved | partially_approved | objected | rejected -> disclosed -> closed;
# withdrawn from any state before disclosed; superseded when revised before disclosure;
# close also from objected / rejected.
_BEFORE_DISCLOSURE = (
    S.RECEIVED,
    S.IN_REVIEW,
    S.CLARIFICATION_REQUESTED,
    S.APPROVED,
    S.PARTIALLY_APPROVED,
    S.OBJECTED,
    S.REJECTED,
)

EXPECTED: dict[tuple[RequestStatus, Operation], RequestStatus] = {
    (S.RECEIVED, Op.START_REVIEW): S.IN_REVIEW,
    (S.IN_REVIEW, Op.ASK_CLARIFICATION): S.CLARIFICATION_REQUESTED,
    (S.CLARIFICATION_REQUESTED, Op.ANSWER_CLARIFICATION): S.IN_REVIEW,
    (S.IN_REVIEW, Op.APPROVE): S.APPROVED,
    (S.IN_REVIEW, Op.APPROVE_PARTIALLY): S.PARTIALLY_APPROVED,
    (S.IN_REVIEW, Op.OBJECT): S.OBJECTED,
    (S.IN_REVIEW, Op.REJECT): S.REJECTED,
    (S.APPROVED, Op.RELEASE): S.DISCLOSED,
    (S.PARTIALLY_APPROVED, Op.RELEASE): S.DISCLOSED,
    (S.DISCLOSED, Op.CLOSE): S.CLOSED,
    (S.OBJECTED, Op.CLOSE): S.CLOSED,
    (S.REJECTED, Op.CLOSE): S.CLOSED,
    **{(status, Op.WITHDRAW): S.WITHDRAWN for status in _BEFORE_DISCLOSURE},
    **{(status, Op.SUPERSEDE): S.SUPERSEDED for status in _BEFORE_DISCLOSURE},
}

ALL_PAIRS = list(itertools.product(RequestStatus, Operation))
ALLOWED = [pair for pair in ALL_PAIRS if pair in EXPECTED]
REFUSED = [pair for pair in ALL_PAIRS if pair not in EXPECTED]


def _id(pair: tuple[RequestStatus, Operation]) -> str:
    status, operation = pair
    return f"{status.value}--{operation.value}"


def test_expected_table_is_sane() -> None:
    # Guards the hand-written table itself: 12 core moves + 7 withdraw + 7 supersede.
    assert len(EXPECTED) == 26
    assert len(ALLOWED) + len(REFUSED) == len(RequestStatus) * len(Operation)


@pytest.mark.parametrize(("status", "operation"), ALLOWED, ids=[_id(p) for p in ALLOWED])
def test_allowed_transition_leads_to_spec_target(
    status: RequestStatus, operation: Operation
) -> None:
    assert transition(status, operation) is EXPECTED[(status, operation)]
    assert can(operation, status) is True
    assert operation in allowed_operations(status)


@pytest.mark.parametrize(("status", "operation"), REFUSED, ids=[_id(p) for p in REFUSED])
def test_refused_transition_raises_with_clear_error(
    status: RequestStatus, operation: Operation
) -> None:
    with pytest.raises(TransitionRefused) as excinfo:
        transition(status, operation)
    err = excinfo.value
    assert isinstance(err, DomainError)
    assert err.operation is operation
    assert err.current is status
    assert len(err.problems) == 1
    problem = err.problems[0]
    assert problem.code is ErrorCode.INVALID_TRANSITION
    assert problem.field == "requestId"
    # The message names the current status (as clients see it: the upper-case name), as a
    # whole word so that e.g. APPROVED is not found inside PARTIALLY_APPROVED.
    assert re.search(rf"(?<![A-Z_]){status.name}(?![A-Z_])", problem.message), problem.message
    assert can(operation, status) is False
    assert operation not in allowed_operations(status)


@pytest.mark.parametrize("status", [S.CLOSED, S.WITHDRAWN, S.SUPERSEDED])
def test_terminal_states_allow_nothing(status: RequestStatus) -> None:
    assert allowed_operations(status) == []
    for operation in Operation:
        assert not can(operation, status)
        with pytest.raises(TransitionRefused):
            transition(status, operation)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (
            S.RECEIVED,
            {Op.START_REVIEW, Op.WITHDRAW, Op.SUPERSEDE},
        ),
        (
            S.IN_REVIEW,
            {
                Op.ASK_CLARIFICATION,
                Op.APPROVE,
                Op.APPROVE_PARTIALLY,
                Op.OBJECT,
                Op.REJECT,
                Op.WITHDRAW,
                Op.SUPERSEDE,
            },
        ),
        (
            S.CLARIFICATION_REQUESTED,
            {Op.ANSWER_CLARIFICATION, Op.WITHDRAW, Op.SUPERSEDE},
        ),
        (S.APPROVED, {Op.RELEASE, Op.WITHDRAW, Op.SUPERSEDE}),
        (S.OBJECTED, {Op.CLOSE, Op.WITHDRAW, Op.SUPERSEDE}),
        (S.DISCLOSED, {Op.CLOSE}),
    ],
)
def test_allowed_operations_lists_exactly_the_next_steps(
    status: RequestStatus, expected: set[Operation]
) -> None:
    ops = allowed_operations(status)
    assert set(ops) == expected
    assert len(ops) == len(expected)  # no duplicates


def test_exported_status_groups_match_the_spec() -> None:
    # Other layers (queue filters, the agency view) use these groups directly.
    assert {S.CLOSED, S.WITHDRAWN, S.SUPERSEDED} == TERMINAL
    assert set(_BEFORE_DISCLOSURE) == BEFORE_DISCLOSURE


def test_disclosed_request_can_no_longer_be_withdrawn_or_revised() -> None:
    assert not can(Op.WITHDRAW, S.DISCLOSED)
    assert not can(Op.SUPERSEDE, S.DISCLOSED)
    assert can(Op.WITHDRAW, S.PARTIALLY_APPROVED)
    assert can(Op.SUPERSEDE, S.REJECTED)


def test_refusal_message_is_readable() -> None:
    with pytest.raises(TransitionRefused) as excinfo:
        transition(S.RECEIVED, Op.RELEASE)
    message = excinfo.value.problems[0].message
    assert "RECEIVED" in message
    # it also tells the client where the operation would have been possible
    assert "APPROVED" in message
    assert "PARTIALLY_APPROVED" in message
    assert "RECEIVED" in str(excinfo.value)


def _run(start: RequestStatus, *operations: Operation) -> list[RequestStatus]:
    path = [start]
    for operation in operations:
        path.append(transition(path[-1], operation))
    return path


def test_happy_path_received_to_closed() -> None:
    path = _run(
        S.RECEIVED,
        Op.START_REVIEW,
        Op.ASK_CLARIFICATION,
        Op.ANSWER_CLARIFICATION,
        Op.ASK_CLARIFICATION,
        Op.ANSWER_CLARIFICATION,
        Op.APPROVE,
        Op.RELEASE,
        Op.CLOSE,
    )
    assert path == [
        S.RECEIVED,
        S.IN_REVIEW,
        S.CLARIFICATION_REQUESTED,
        S.IN_REVIEW,
        S.CLARIFICATION_REQUESTED,
        S.IN_REVIEW,
        S.APPROVED,
        S.DISCLOSED,
        S.CLOSED,
    ]


def test_partial_approval_path_releases_and_closes() -> None:
    path = _run(S.RECEIVED, Op.START_REVIEW, Op.APPROVE_PARTIALLY, Op.RELEASE, Op.CLOSE)
    assert path[-3:] == [S.PARTIALLY_APPROVED, S.DISCLOSED, S.CLOSED]


@pytest.mark.parametrize(("decision", "status"), [(Op.OBJECT, S.OBJECTED), (Op.REJECT, S.REJECTED)])
def test_objected_or_rejected_request_closes_without_disclosure(
    decision: Operation, status: RequestStatus
) -> None:
    path = _run(S.RECEIVED, Op.START_REVIEW, decision, Op.CLOSE)
    assert path[-2:] == [status, S.CLOSED]
    with pytest.raises(TransitionRefused):
        transition(status, Op.RELEASE)


def test_closed_request_cannot_be_reopened_or_released_twice() -> None:
    closed = _run(S.RECEIVED, Op.START_REVIEW, Op.APPROVE, Op.RELEASE, Op.CLOSE)[-1]
    for operation in (Op.START_REVIEW, Op.RELEASE, Op.CLOSE):
        with pytest.raises(TransitionRefused):
            transition(closed, operation)
    with pytest.raises(TransitionRefused):
        transition(S.DISCLOSED, Op.RELEASE)


# --- messages read as English; each party sees its own operations ---------------------------


@pytest.mark.parametrize(
    ("status", "operation", "expected"),
    [
        (S.RECEIVED, Op.ASK_CLARIFICATION, "cannot ask for clarification on a request that is "),
        (S.DISCLOSED, Op.SUPERSEDE, "cannot revise a request that is DISCLOSED"),
        (S.IN_REVIEW, Op.START_REVIEW, "cannot start the review of a request that is IN_REVIEW"),
        (S.RECEIVED, Op.ANSWER_CLARIFICATION, "cannot answer a question on a request that is "),
        (S.CLOSED, Op.OBJECT, "cannot object to a request that is CLOSED"),
    ],
)
def test_a_refusal_reads_as_english(
    status: RequestStatus, operation: Operation, expected: str
) -> None:
    with pytest.raises(TransitionRefused) as excinfo:
        transition(status, operation)
    message = excinfo.value.problems[0].message
    assert message.startswith(expected), message
    assert "supersede" not in message and "ask clarification a" not in message


def test_each_operation_is_performed_by_one_party() -> None:
    agency = set(allowed_operations(S.RECEIVED, Party.AGENCY))
    reviewer = set(allowed_operations(S.RECEIVED, Party.REVIEWER))
    assert agency == {Op.WITHDRAW, Op.SUPERSEDE}
    assert reviewer == {Op.START_REVIEW}
    assert set(allowed_operations(S.CLARIFICATION_REQUESTED, Party.REVIEWER)) == set()
    for status in S:
        both = allowed_operations(status, Party.AGENCY) + allowed_operations(status, Party.REVIEWER)
        assert sorted(both) == sorted(allowed_operations(status))
