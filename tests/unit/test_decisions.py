"""Review decisions (SPEC sections 2 and 4): what a decision on one item must carry, and the
request status that a set of item decisions leads to.

The expected statuses are written out by hand from the spec, not derived from the code.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from trustcenter.domain.decisions import (
    BUILTIN_REASONS,
    NO_RESPONSIVE_DATA,
    NO_RESPONSIVE_DATA_TEXT,
    Decision,
    ItemView,
    Reading,
    ReasonVocabulary,
    check_decision,
    operation_for,
    read_decision,
)
from trustcenter.domain.enums import DecisionOutcome, InfoType, ReasonCode
from trustcenter.domain.errors import ErrorCode
from trustcenter.domain.lifecycle import Operation

Out = DecisionOutcome
JAN, JUN = date(2026, 1, 1), date(2026, 6, 30)
USAGE = ItemView(InfoType.C, JAN, JUN, None)  # C, asked for January to June
ACCOUNT = ItemView(InfoType.A, None, None, None)
PLAIN_D = ItemView(InfoType.D, JAN, JUN, premium=False)
PREMIUM_D = ItemView(InfoType.D, JAN, JUN, premium=True)
UNKNOWN_D = ItemView(InfoType.D, None, None, premium=None)


def problems(decision: Decision, item: ItemView = USAGE) -> list[tuple[str, ErrorCode]]:
    return [(p.field, p.code) for p in check_decision("decisions[2]", decision, item)]


def reasoned(outcome: DecisionOutcome) -> Decision:
    return Decision(outcome, ReasonCode.OVERBROAD.value, "Six months is too long.")


# --- check_decision: approvals --------------------------------------------------------------


@pytest.mark.parametrize("item", [USAGE, ACCOUNT, PREMIUM_D, UNKNOWN_D])
def test_a_plain_approval_needs_nothing_more(item: ItemView) -> None:
    assert problems(Decision(Out.APPROVE), item) == []


def test_an_approval_may_carry_an_explanation() -> None:
    assert problems(Decision(Out.APPROVE, explanation="Fine.")) == []


@pytest.mark.parametrize(
    "extra",
    [
        {"approved_from": date(2026, 2, 1)},
        {"approved_to": date(2026, 2, 1)},
        {"fields": ("ip_address",)},
        {"fields": ()},
    ],
)
@pytest.mark.parametrize("outcome", [Out.APPROVE, Out.QUESTION, Out.OBJECT, Out.REJECT])
def test_a_range_or_fields_go_only_with_narrow(outcome: DecisionOutcome, extra: dict) -> None:
    decision = Decision(outcome, "overbroad", "Too broad.", **extra)
    assert problems(decision) == [("decisions[2]", ErrorCode.INVALID_INPUT)]


# --- check_decision: non-approvals ----------------------------------------------------------


@pytest.mark.parametrize("outcome", [Out.QUESTION, Out.OBJECT, Out.REJECT])
def test_a_non_approval_with_reason_and_explanation_is_fine(outcome: DecisionOutcome) -> None:
    assert problems(reasoned(outcome)) == []


@pytest.mark.parametrize("outcome", [Out.QUESTION, Out.OBJECT, Out.REJECT])
@pytest.mark.parametrize(
    ("reason", "explanation", "missing"),
    [
        (None, None, ["reasonCode", "explanation"]),
        ("", "", ["reasonCode", "explanation"]),
        (None, "Too broad.", ["reasonCode"]),
        ("overbroad", None, ["explanation"]),
        ("overbroad", "", ["explanation"]),
        ("overbroad", " \n\t ", ["explanation"]),
    ],
)
def test_a_non_approval_needs_a_reason_code_and_an_explanation(
    outcome: DecisionOutcome, reason: str | None, explanation: str | None, missing: list[str]
) -> None:
    got = problems(Decision(outcome, reason, explanation))
    assert got == [(f"decisions[2].{m}", ErrorCode.INVALID_INPUT) for m in missing]


def test_an_approval_needs_no_reason_code() -> None:
    assert problems(Decision(Out.APPROVE)) == []


def test_narrow_needs_a_reason_code_like_every_other_non_approval() -> None:
    assert problems(Decision(Out.NARROW, fields=("kind",))) == [
        ("decisions[2].reasonCode", ErrorCode.INVALID_INPUT)
    ]
    assert problems(Decision(Out.NARROW, "overbroad", fields=("kind",))) == []


@pytest.mark.parametrize("outcome", list(Out))
def test_an_unknown_reason_code_is_refused(outcome: DecisionOutcome) -> None:
    decision = Decision(
        outcome, "BECAUSE", "No.", fields=("kind",) if outcome is Out.NARROW else None
    )
    assert ("decisions[2].reasonCode", ErrorCode.UNKNOWN_REASON_CODE) in problems(decision)


def test_a_registered_plugin_code_is_accepted_in_any_case() -> None:
    reasons = ReasonVocabulary.of([*((c, False) for c in BUILTIN_REASONS.codes), ("SEALED", False)])
    found = check_decision("d", Decision(Out.REJECT, "sealed", "Sealed."), USAGE, reasons)
    assert found == []


@pytest.mark.parametrize("code", ["NOT_HELD", "NOT_PREMIUM"])
@pytest.mark.parametrize("outcome", [Out.NARROW, Out.QUESTION, Out.OBJECT])
def test_a_code_telling_the_account_state_goes_only_with_reject(
    code: str, outcome: DecisionOutcome
) -> None:
    decision = Decision(outcome, code, "Why.", fields=("kind",) if outcome is Out.NARROW else None)
    assert problems(decision) == [("decisions[2].reasonCode", ErrorCode.INVALID_INPUT)]
    assert problems(Decision(Out.REJECT, code, "Why.")) == []


# --- what the agency reads ------------------------------------------------------------------


@pytest.mark.parametrize("code", ["not_held", "not_premium", "NOT_PREMIUM"])
def test_the_agency_reads_one_answer_for_every_account_state(code: str) -> None:
    staff = read_decision(
        "reject", code, "The account is not premium.", BUILTIN_REASONS, by_agency=False
    )
    assert staff == Reading(Out.REJECT, code.upper(), "The account is not premium.")
    agency = read_decision(
        "reject", code, "The account is not premium.", BUILTIN_REASONS, by_agency=True
    )
    assert agency == Reading(Out.REJECT, NO_RESPONSIVE_DATA, NO_RESPONSIVE_DATA_TEXT)


def test_the_agency_reads_other_decisions_as_made() -> None:
    assert read_decision("reject", "overbroad", "Too broad.", BUILTIN_REASONS, by_agency=True) == (
        Reading(Out.REJECT, "OVERBROAD", "Too broad.")
    )
    assert read_decision(None, None, None, BUILTIN_REASONS, by_agency=True) == Reading(
        None, None, None
    )


# --- check_decision: transaction records ----------------------------------------------------


@pytest.mark.parametrize(
    "decision",
    [Decision(Out.APPROVE), Decision(Out.NARROW, "overbroad", fields=("placed_at", "amount"))],
)
def test_approving_transactions_of_a_non_premium_account_is_refused(decision: Decision) -> None:
    assert problems(decision, PLAIN_D) == [("decisions[2].outcome", ErrorCode.NOT_PREMIUM)]


@pytest.mark.parametrize("item", [PREMIUM_D, UNKNOWN_D])
def test_transactions_of_a_premium_or_unknown_account_may_be_approved(item: ItemView) -> None:
    assert problems(Decision(Out.APPROVE), item) == []
    assert problems(Decision(Out.NARROW, "overbroad", fields=("placed_at", "goods")), item) == []


@pytest.mark.parametrize("outcome", [Out.QUESTION, Out.OBJECT, Out.REJECT])
def test_transactions_of_a_non_premium_account_may_be_refused(outcome: DecisionOutcome) -> None:
    assert problems(reasoned(outcome), PLAIN_D) == []


@pytest.mark.parametrize("info", [InfoType.A, InfoType.B, InfoType.C, InfoType.E])
def test_the_premium_rule_is_only_about_transactions(info: InfoType) -> None:
    assert problems(Decision(Out.APPROVE), ItemView(info, None, None, premium=False)) == []


# --- check_decision: narrowing --------------------------------------------------------------


def test_narrow_needs_a_range_or_fields() -> None:
    assert problems(Decision(Out.NARROW, "overbroad")) == [
        ("decisions[2]", ErrorCode.INVALID_INPUT)
    ]


@pytest.mark.parametrize(
    ("lo", "hi"),
    [
        (date(2026, 2, 1), date(2026, 3, 31)),
        (JAN, JUN),  # the edges belong to the requested range
        (date(2026, 3, 1), None),
        (None, date(2026, 3, 1)),
        (date(2026, 3, 1), date(2026, 3, 1)),  # one day
    ],
)
def test_a_range_within_the_requested_one_is_fine(lo: date | None, hi: date | None) -> None:
    assert problems(Decision(Out.NARROW, "overbroad", approved_from=lo, approved_to=hi)) == []


@pytest.mark.parametrize(
    ("lo", "hi"),
    [
        (date(2025, 12, 31), None),
        (None, date(2026, 7, 1)),
        (date(2025, 1, 1), date(2027, 1, 1)),
        (date(2026, 7, 1), date(2026, 8, 1)),  # wholly after
        (date(2025, 7, 1), date(2025, 8, 1)),  # wholly before
    ],
)
def test_a_range_outside_the_requested_one_is_refused(lo: date | None, hi: date | None) -> None:
    got = problems(Decision(Out.NARROW, "overbroad", approved_from=lo, approved_to=hi))
    assert got == [("decisions[2]", ErrorCode.INVALID_TIME_RANGE)]


def test_a_reversed_range_is_refused_at_its_end() -> None:
    got = problems(
        Decision(
            Out.NARROW, "overbroad", approved_from=date(2026, 5, 1), approved_to=date(2026, 3, 1)
        )
    )
    assert got == [("decisions[2].to", ErrorCode.INVALID_TIME_RANGE)]


def test_a_reversed_range_outside_the_request_reports_both() -> None:
    got = problems(
        Decision(
            Out.NARROW, "overbroad", approved_from=date(2025, 12, 1), approved_to=date(2025, 11, 1)
        )
    )
    assert sorted(got) == [
        ("decisions[2]", ErrorCode.INVALID_TIME_RANGE),
        ("decisions[2].to", ErrorCode.INVALID_TIME_RANGE),
    ]


def test_any_range_narrows_an_item_asked_without_one() -> None:
    item = ItemView(InfoType.C, None, None, None)
    assert problems(Decision(Out.NARROW, "overbroad", approved_from=date(2020, 1, 1)), item) == []


def test_an_open_ended_request_bounds_only_its_given_end() -> None:
    item = ItemView(InfoType.C, JAN, None, None)
    assert problems(Decision(Out.NARROW, "overbroad", approved_to=date(2030, 1, 1)), item) == []
    got = problems(Decision(Out.NARROW, "overbroad", approved_from=date(2025, 1, 1)), item)
    assert got == [("decisions[2]", ErrorCode.INVALID_TIME_RANGE)]


# The policy's own lists (SPEC section 2), written out here rather than read from the code.
POLICY_FIELDS = {
    InfoType.A: ["username", "email", "phone", "region", "registered_at"],
    InfoType.B: ["serial_number", "name", "model", "verification_code", "network_environment"],
    InfoType.C: ["ip_address", "client_device_model", "app_version"],
    InfoType.D: ["placed_at", "goods", "amount", "payment_method", "delivery_address"],
    InfoType.E: ["content"],
}


@pytest.mark.parametrize(("info", "fields"), POLICY_FIELDS.items())
def test_the_policys_fields_may_be_chosen(info: InfoType, fields: list[str]) -> None:
    item = ItemView(info, None, None, premium=True)
    for field in fields:
        assert problems(Decision(Out.NARROW, "overbroad", fields=(field,)), item) == [], field
    assert problems(Decision(Out.NARROW, "overbroad", fields=tuple(fields)), item) == []


@pytest.mark.parametrize(
    ("info", "field"),
    [
        (InfoType.A, "ip_address"),  # a C field
        (InfoType.A, "password"),
        (InfoType.B, "delivery_address"),  # a D field
        (InfoType.C, "payment_method"),
        (InfoType.D, "email"),
        (InfoType.E, "EMAIL"),
        (InfoType.E, ""),
    ],
)
def test_fields_of_another_type_or_none_at_all_are_refused(info: InfoType, field: str) -> None:
    item = ItemView(info, None, None, premium=True)
    found = check_decision("decisions[0]", Decision(Out.NARROW, "overbroad", fields=(field,)), item)
    assert [(p.field, p.code) for p in found] == [("decisions[0].fields", ErrorCode.INVALID_INPUT)]


def test_one_bad_field_spoils_a_good_choice() -> None:
    item = ItemView(InfoType.E, None, None, None)
    found = check_decision(
        "d", Decision(Out.NARROW, "overbroad", fields=("content", "rating")), item
    )
    assert [(p.field, p.code) for p in found] == [("d.fields", ErrorCode.INVALID_INPUT)]
    assert found[0].message.startswith("rating")


def test_the_message_names_each_unknown_field_and_the_known_ones() -> None:
    (p,) = check_decision(
        "d",
        Decision(Out.NARROW, "overbroad", fields=("email", "iban", "pin")),
        ItemView(InfoType.A, None, None, None),
    )
    assert "iban" in p.message and "pin" in p.message
    assert "username" in p.message  # the known ones, to help the reviewer


def test_narrowing_to_no_fields_is_refused() -> None:
    assert problems(Decision(Out.NARROW, "overbroad", fields=())) == [
        ("decisions[2].fields", ErrorCode.INVALID_INPUT)
    ]


def test_narrow_with_a_range_and_fields_together() -> None:
    decision = Decision(
        Out.NARROW,
        "overbroad",
        approved_from=date(2026, 2, 1),
        approved_to=date(2026, 2, 28),
        fields=("occurred_at", "ip_address"),
    )
    assert problems(decision) == []


def test_every_problem_is_reported_at_once() -> None:
    decision = Decision(
        Out.NARROW,
        "overbroad",
        approved_from=date(2026, 5, 1),
        approved_to=date(2026, 3, 1),
        fields=("iban",),
    )
    fields = sorted(f for f, _ in problems(decision, PLAIN_D))
    assert fields == [
        "decisions[2].fields",
        "decisions[2].outcome",
        "decisions[2].to",
    ]


# --- operation_for: the request status the items lead to ------------------------------------

A, N, Q, OB, R = Out.APPROVE, Out.NARROW, Out.QUESTION, Out.OBJECT, Out.REJECT


@pytest.mark.parametrize(
    ("outcomes", "operation"),
    [
        ([], None),
        ([None], None),
        ([A, None], None),
        ([Q, None], None),  # a question waits for the other items to be decided
        ([None, R, R], None),
        ([A], Operation.APPROVE),
        ([A, A, A], Operation.APPROVE),
        ([N], Operation.APPROVE_PARTIALLY),
        ([N, N], Operation.APPROVE_PARTIALLY),
        ([A, N], Operation.APPROVE_PARTIALLY),
        ([A, R], Operation.APPROVE_PARTIALLY),
        ([A, OB], Operation.APPROVE_PARTIALLY),
        ([R, N], Operation.APPROVE_PARTIALLY),
        ([OB, R, N], Operation.APPROVE_PARTIALLY),
        ([OB], Operation.OBJECT),
        ([OB, OB], Operation.OBJECT),
        ([OB, R], Operation.OBJECT),
        ([R, OB, R], Operation.OBJECT),
        ([R], Operation.REJECT),
        ([R, R, R], Operation.REJECT),
        ([Q], Operation.ASK_CLARIFICATION),
        ([A, Q], Operation.ASK_CLARIFICATION),
        ([Q, R, OB, N, A], Operation.ASK_CLARIFICATION),
    ],
)
def test_the_status_follows_from_the_items(
    outcomes: list[DecisionOutcome | None], operation: Operation | None
) -> None:
    assert operation_for(outcomes) is operation


def _expected(outcomes: tuple[DecisionOutcome | None, ...]) -> Operation | None:
    """The rule in words: undecided items -> nothing yet; any question -> ask; everything
    approved in full -> approved; something provided -> partially; else objected if any
    objection, rejected otherwise."""
    if not outcomes or None in outcomes:
        return None
    kinds = set(outcomes)
    if Q in kinds:
        return Operation.ASK_CLARIFICATION
    if kinds == {A}:
        return Operation.APPROVE
    if kinds & {A, N}:
        return Operation.APPROVE_PARTIALLY
    return Operation.OBJECT if OB in kinds else Operation.REJECT


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_every_combination_of_outcomes(size: int) -> None:
    choices: list[DecisionOutcome | None] = [*Out, None]
    for combo in itertools.product(choices, repeat=size):
        assert operation_for(list(combo)) is _expected(combo), combo


def test_the_order_of_the_items_does_not_matter() -> None:
    for combo in itertools.product([*Out], repeat=3):
        results = {operation_for(list(p)) for p in itertools.permutations(combo)}
        assert len(results) == 1, combo
