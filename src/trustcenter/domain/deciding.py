"""Deciding a request's items in one go: every decision checked against the item it names, each
item named once; and the question the agency reads when a decision asks one.

One decision on one item is ``domain.decisions``; the status the decisions lead to is
``domain.decisions.operation_for``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence

from trustcenter.domain.decisions import Decision, ItemView, ReasonVocabulary, check_decision
from trustcenter.domain.enums import DecisionOutcome
from trustcenter.domain.errors import ErrorCode, Problem


def check_decisions(
    decisions: Sequence[tuple[uuid.UUID | None, Decision]],
    items: Mapping[uuid.UUID, ItemView],
    reasons: ReasonVocabulary,
) -> list[Problem]:
    """Every problem with a batch of decisions on the request's ``items`` (by id); an id that
    names no item of the request (None: it named nothing at all) or one named twice is
    NOT_FOUND."""
    problems: list[Problem] = []
    seen: set[uuid.UUID] = set()
    for n, (item_id, decision) in enumerate(decisions):
        path = f"decisions[{n}]"
        item = items.get(item_id) if item_id else None
        if item_id is None or item is None or item_id in seen:
            problems.append(
                Problem(
                    f"{path}.itemId",
                    "not an item of this request, or named twice",
                    ErrorCode.NOT_FOUND,
                )
            )
            continue
        seen.add(item_id)
        problems += check_decision(path, decision, item, reasons)
    return problems


def stored_reason(code: str | None) -> str | None:
    """A reason code as an item stores it (``overbroad``)."""
    return code.strip().lower() if code else None


def questions(items: Iterable[tuple[str | None, str | None]]) -> str:
    """The message asking the agency to clarify: the explanations of the items decided
    QUESTION (``items``: each item's stored outcome and explanation), one paragraph each."""
    return "\n\n".join(
        explanation
        for outcome, explanation in items
        if outcome == DecisionOutcome.QUESTION.value and explanation
    )
