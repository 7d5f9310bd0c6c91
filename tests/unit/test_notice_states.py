"""The user notice's states (SPEC section 5), checked against a table written out by hand, and
every bulk update of a notice's state in the code checked against the machine."""

from __future__ import annotations

import ast
import itertools
import pathlib

import pytest

import trustcenter
from trustcenter.domain import notice_states
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.notice_states import (
    OPEN_NOTICE_STATES,
    NoticeStatus,
    Transition,
    can_move,
    move,
    transition,
)

N = NoticeStatus

# scheduled -> delivered | failed | suppressed; suppressed -> scheduled; failed -> scheduled
ALLOWED = {
    (N.SCHEDULED, N.DELIVERED),
    (N.SCHEDULED, N.FAILED),
    (N.SCHEDULED, N.SUPPRESSED),
    (N.SUPPRESSED, N.SCHEDULED),
    (N.FAILED, N.SCHEDULED),
}

PACKAGE = pathlib.Path(trustcenter.__file__).parent
#: the modules that change a notice's state (the bulk UPDATEs live in the notice repository)
NOTICE_MODULES = (
    "db/repositories/notices.py",
    "services/notices.py",
    "services/notice_worker.py",
    "services/notice_exceptions.py",
    "demo_notices.py",
    "cli/notices.py",
)
STATE_WORDS = {s.value for s in NoticeStatus}


@pytest.mark.parametrize(("current", "to"), list(itertools.product(N, N)))
def test_moves_follow_the_spec(current: NoticeStatus, to: NoticeStatus) -> None:
    assert can_move(current, to) is ((current, to) in ALLOWED)
    if (current, to) in ALLOWED:
        assert move(current, to) is to
    else:
        with pytest.raises(DomainError) as refused:
            move(current, to)
        assert refused.value.problems[0].code is ErrorCode.INVALID_TRANSITION


def test_open_notices_are_the_ones_that_may_still_be_sent() -> None:
    assert {N.SCHEDULED, N.SUPPRESSED} == OPEN_NOTICE_STATES
    assert "scheduled" in OPEN_NOTICE_STATES and "delivered" not in OPEN_NOTICE_STATES


def test_a_bulk_transition_the_machine_refuses_cannot_be_declared() -> None:
    with pytest.raises(DomainError):
        transition(N.DELIVERED, N.SCHEDULED)


def test_every_declared_bulk_transition_is_allowed() -> None:
    declared = [v for v in vars(notice_states).values() if isinstance(v, Transition)]
    assert declared
    for t in declared:
        assert can_move(t.source, t.target), t


def _bulk_updates(tree: ast.AST) -> list[tuple[str, set[str]]]:
    """Each ``.values(status=X.target.value)`` call: the transition's name, and the names of the
    transitions whose source the same function compares ``Notice.status`` with."""
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        wheres = {
            ast.unparse(node.comparators[0]).removesuffix(".source.value")
            for node in ast.walk(function)
            if isinstance(node, ast.Compare) and ast.unparse(node.left) == "Notice.status"
        }
        for node in ast.walk(function):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr != "values":
                continue
            for kw in node.keywords:
                if kw.arg == "status":
                    target = ast.unparse(kw.value)
                    assert target.endswith(".target.value"), f"status set to {target}"
                    found.append((target.removesuffix(".target.value"), wheres))
    return found


def _status_literals(tree: ast.AST) -> list[str]:
    """Notice states written as string literals where a status is compared or set."""
    out = []
    for node in ast.walk(tree):
        parts: list[ast.AST] = []
        if isinstance(node, ast.Compare) and "status" in ast.unparse(node):
            parts = [node.left, *node.comparators]
        elif (isinstance(node, ast.keyword) and node.arg == "status") or (
            isinstance(node, ast.Assign) and "status" in ast.unparse(node.targets[0])
        ):
            parts = [node.value]
        for part in parts:
            out += [
                c.value
                for c in ast.walk(part)
                if isinstance(c, ast.Constant) and c.value in STATE_WORDS
            ]
    return out


@pytest.mark.parametrize("module", NOTICE_MODULES)
def test_bulk_updates_are_transitions_the_machine_allows(module: str) -> None:
    tree = ast.parse((PACKAGE / module).read_text())
    for name, where in _bulk_updates(tree):
        declared = getattr(notice_states, name, None)
        assert isinstance(declared, Transition), f"{module}: {name} is not a declared transition"
        assert can_move(declared.source, declared.target)
        assert name in where, f"{module}: the update to {name} selects notices by {where}"


def test_the_bulk_updates_are_found() -> None:
    names = {
        name
        for module in NOTICE_MODULES
        for name, _ in _bulk_updates(ast.parse((PACKAGE / module).read_text()))
    }
    assert names == {"SUPPRESS", "DELIVER", "GIVE_UP"}


@pytest.mark.parametrize("module", NOTICE_MODULES)
def test_no_notice_state_is_spelt_as_a_string(module: str) -> None:
    assert _status_literals(ast.parse((PACKAGE / module).read_text())) == []
