"""Review decisions on requested items, and the request status they lead to."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from trustcenter.domain.enums import DecisionOutcome, InfoType, ReasonCode
from trustcenter.domain.errors import ErrorCode, Problem
from trustcenter.domain.lifecycle import Operation
from trustcenter.domain.minimization import FIELDS

Out = DecisionOutcome
APPROVING = frozenset({Out.APPROVE, Out.NARROW})
#: every outcome but APPROVE says why with a reason code
NEEDS_REASON = frozenset({Out.NARROW, Out.QUESTION, Out.OBJECT, Out.REJECT})
#: ... and these also explain it to the agency in words
NEEDS_EXPLANATION = frozenset({Out.QUESTION, Out.OBJECT, Out.REJECT})

#: what the agency reads for an item that yields nothing because of the account's state
NO_RESPONSIVE_DATA = "NO_RESPONSIVE_DATA"
NO_RESPONSIVE_DATA_TEXT = "No data responsive to this item can be provided."


@dataclass(frozen=True, slots=True)
class ReasonVocabulary:
    """The registered reason codes (upper case), and those that reveal the state of an account
    (whether it exists, whether its owner pays): agencies never read those."""

    codes: frozenset[str]
    account_state: frozenset[str]

    @classmethod
    def of(cls, specs: Iterable[tuple[str, bool]]) -> ReasonVocabulary:
        pairs = [(code.upper(), flag) for code, flag in specs]
        return cls(frozenset(c for c, _ in pairs), frozenset(c for c, f in pairs if f))


#: the policy's own codes (plugins register more; the built-in plugin registers these)
BUILTIN_REASONS = ReasonVocabulary.of(
    (c.name, c in (ReasonCode.NOT_HELD, ReasonCode.NOT_PREMIUM)) for c in ReasonCode
)


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


def check_decision(
    path: str, decision: Decision, item: ItemView, reasons: ReasonVocabulary = BUILTIN_REASONS
) -> list[Problem]:
    """Every problem with one decision on one item."""
    problems: list[Problem] = []
    code = (decision.reason_code or "").strip().upper()
    if decision.outcome in NEEDS_REASON and not code:
        problems.append(
            Problem(
                f"{path}.reasonCode",
                f"{decision.outcome.name} needs a reason code, like every decision but APPROVE",
                ErrorCode.INVALID_INPUT,
            )
        )
    if code and code not in reasons.codes:
        problems.append(
            Problem(
                f"{path}.reasonCode",
                f"{code} is not a reason code here; known: {', '.join(sorted(reasons.codes))}",
                ErrorCode.UNKNOWN_REASON_CODE,
            )
        )
    elif code in reasons.account_state and decision.outcome is not Out.REJECT:
        problems.append(
            Problem(
                f"{path}.reasonCode",
                f"{code} tells the state of an account and goes only with REJECT "
                f"(the agency reads {NO_RESPONSIVE_DATA})",
                ErrorCode.INVALID_INPUT,
            )
        )
    if decision.outcome in NEEDS_EXPLANATION and not (decision.explanation or "").strip():
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


@dataclass(frozen=True, slots=True)
class Reading:
    """An item's decision as one reader reads it."""

    outcome: DecisionOutcome | None
    reason_code: str | None  # upper case
    explanation: str | None


def read_decision(
    outcome: str | None,
    reason_code: str | None,
    explanation: str | None,
    reasons: ReasonVocabulary,
    *,
    by_agency: bool,
) -> Reading:
    """The decision as stored, for staff; for the agency, an item that yields nothing because
    of the account's state (unknown identifier, data not held, no premium service) reads the
    same whatever the reason: REJECT, NO_RESPONSIVE_DATA and one fixed sentence."""
    code = reason_code.upper() if reason_code else None
    if by_agency and code in reasons.account_state:
        return Reading(Out.REJECT, NO_RESPONSIVE_DATA, NO_RESPONSIVE_DATA_TEXT)
    return Reading(DecisionOutcome(outcome) if outcome else None, code, explanation)
