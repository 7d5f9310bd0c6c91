"""Review decisions on requested items, and the request status they lead to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from trustcenter.domain.enums import DecisionOutcome, InfoType, ReasonCode
from trustcenter.domain.errors import ErrorCode, Problem
from trustcenter.domain.lifecycle import Operation
from trustcenter.domain.minimization import FIELDS

Out = DecisionOutcome
APPROVING = frozenset({Out.APPROVE, Out.NARROW})
NEEDS_REASON = frozenset({Out.QUESTION, Out.OBJECT, Out.REJECT})


@dataclass(frozen=True, slots=True)
class ItemView:
    """What the rules need to know of a requested item."""

    info_type: InfoType
    range_from: date | None
    range_to: date | None
    premium: bool | None  # None: the company holds no account for the target


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: DecisionOutcome
    reason_code: str | None = None
    explanation: str | None = None
    approved_from: date | None = None
    approved_to: date | None = None
    fields: tuple[str, ...] | None = None


def check_decision(path: str, decision: Decision, item: ItemView) -> list[Problem]:
    """Every problem with one decision on one item."""
    problems: list[Problem] = []
    if decision.outcome in NEEDS_REASON:
        if not decision.reason_code:
            problems.append(
                Problem(
                    f"{path}.reasonCode",
                    "a non-approval needs a reason code",
                    ErrorCode.INVALID_INPUT,
                )
            )
        if not (decision.explanation or "").strip():
            problems.append(
                Problem(
                    f"{path}.explanation",
                    "explain the decision to the agency",
                    ErrorCode.INVALID_INPUT,
                )
            )
    if decision.outcome in APPROVING and item.info_type is InfoType.D and item.premium is False:
        problems.append(
            Problem(
                f"{path}.outcome",
                "transaction records (D) may only be provided "
                "for accounts that used a premium service",
                ErrorCode.NOT_PREMIUM,
            )
        )
    narrowing = (decision.approved_from, decision.approved_to, decision.fields)
    if decision.outcome is not Out.NARROW:
        if any(v is not None for v in narrowing):
            problems.append(
                Problem(path, "a range or fields go only with NARROW", ErrorCode.INVALID_INPUT)
            )
        return problems
    if all(v is None for v in narrowing):
        problems.append(
            Problem(
                path, "NARROW needs a shorter time range or fewer fields", ErrorCode.INVALID_INPUT
            )
        )
    lo, hi = decision.approved_from, decision.approved_to
    if lo and hi and hi < lo:
        problems.append(
            Problem(f"{path}.to", "the range ends before it starts", ErrorCode.INVALID_TIME_RANGE)
        )
    if (lo and item.range_from and lo < item.range_from) or (
        hi and item.range_to and hi > item.range_to
    ):
        problems.append(
            Problem(
                path,
                "a narrowed range must lie within the requested one",
                ErrorCode.INVALID_TIME_RANGE,
            )
        )
    if decision.fields is not None:
        known = FIELDS[item.info_type]
        unknown = [f for f in decision.fields if f not in known]
        if unknown:
            problems.append(
                Problem(
                    f"{path}.fields",
                    f"{', '.join(unknown)} not fields of {item.info_type.value}; "
                    f"known: {', '.join(known)}",
                    ErrorCode.INVALID_INPUT,
                )
            )
        elif not decision.fields:
            problems.append(
                Problem(
                    f"{path}.fields", "name at least one field, or REJECT", ErrorCode.INVALID_INPUT
                )
            )
    return problems


def operation_for(outcomes: Sequence[DecisionOutcome | None]) -> Operation | None:
    """The transition the item decisions call for, once every item is decided."""
    if not outcomes or any(o is None for o in outcomes):
        return None
    if Out.QUESTION in outcomes:
        return Operation.ASK_CLARIFICATION
    if all(o is Out.APPROVE for o in outcomes):
        return Operation.APPROVE
    if any(o in APPROVING for o in outcomes):
        return Operation.APPROVE_PARTIALLY
    if Out.OBJECT in outcomes:
        return Operation.OBJECT
    return Operation.REJECT


NOT_PREMIUM_DECISION = Decision(
    Out.REJECT,
    ReasonCode.NOT_PREMIUM.value,
    "Transaction records (D) are only provided for accounts that used a premium service; "
    "this account did not.",
)
